package dev.troupe.runtime.grpc;

import com.google.protobuf.Message;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A request that is not valid protobuf ends its call with INVALID_ARGUMENT, naming the message type
 * and what is wrong with the bytes; one over {@link #MAX_REQUEST_BYTES} with RESOURCE_EXHAUSTED and
 * the limit. grpc-java parses a request before any service code runs and ends the call with UNKNOWN
 * "Application error processing RPC" (and a stack trace in the log) when that fails, and resets a
 * stream whose response has begun (CANCELLED) when a request is over its own size limit: neither
 * tells a client in another language what to fix. So the transport's limit is set higher
 * ({@link #TRANSPORT_MAX_REQUEST_BYTES}) and this guard applies the real one. The service sees its
 * call cancelled and can ask {@link #refusal()} why.
 */
public final class ParseGuard {
  /** The largest request message a node accepts (16 MiB). */
  public static final int MAX_REQUEST_BYTES = 16 << 20;
  /**
   * The transport's own limit, above which gRPC itself ends the call (with RESOURCE_EXHAUSTED before a
   * response began, CANCELLED after): the most memory one oversized request may take before it is refused.
   */
  public static final int TRANSPORT_MAX_REQUEST_BYTES = 4 * MAX_REQUEST_BYTES;
  private static final Context.Key<AtomicReference<String>> REFUSAL = Context.key("troupe-parse-refusal");

  private ParseGuard() {}

  /** {@code service} with every method's requests parsed under the guard. */
  public static ServerServiceDefinition guard(ServerServiceDefinition service) {
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    service.getMethods().forEach(m -> methods.add(guard(m)));
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(b::addMethod);
    return b.build();
  }

  /** Why the guard refused the current call (the gRPC context's), or null if it did not. */
  public static String refusal() {
    AtomicReference<String> r = REFUSAL.get();
    return r == null ? null : r.get();
  }

  private static <Q, R> ServerMethodDefinition<Q, R> guard(ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> md = method.getMethodDescriptor();
    if (!(md.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<Q> proto)
        || !(proto.getMessagePrototype() instanceof Message)) {
      return method; // not protobuf: nothing to guard
    }
    Guarded<Q> marshaller = new Guarded<>(proto);
    MethodDescriptor<Q, R> guarded = md.toBuilder().setRequestMarshaller(marshaller).build();
    ServerCallHandler<Q, R> next = method.getServerCallHandler();
    ServerCallHandler<Q, R> handler = (call, headers) -> {
      AtomicReference<String> refusal = new AtomicReference<>();
      Context context = Context.current().withValue(REFUSAL, refusal);
      ServerCall.Listener<Q> delegate = Contexts.interceptCall(context, call, headers, next);
      return new Refusing<>(delegate, call, marshaller, refusal, md.getFullMethodName());
    };
    return ServerMethodDefinition.create(guarded, handler);
  }

  /**
   * The original marshaller; bytes it cannot parse become {@link #unparsable}, too many of them
   * {@link #oversized}, the reason kept for the listener.
   */
  private static final class Guarded<T> implements MethodDescriptor.PrototypeMarshaller<T> {
    private final MethodDescriptor.PrototypeMarshaller<T> original;
    /** Messages that no parse returns (fresh instances): stand for bytes that were not one. */
    final T unparsable;
    final T oversized;
    /** Why the last parse on this thread failed: the listener reads it right after, on the same thread. */
    final ThreadLocal<String> why = new ThreadLocal<>();

    @SuppressWarnings("unchecked")
    Guarded(MethodDescriptor.PrototypeMarshaller<T> original) {
      this.original = original;
      this.unparsable = (T) ((Message) original.getMessagePrototype()).newBuilderForType().build();
      this.oversized = (T) ((Message) original.getMessagePrototype()).newBuilderForType().build();
    }

    @Override
    public InputStream stream(T value) {
      return original.stream(value);
    }

    @Override
    public T parse(InputStream stream) {
      try {
        int size = stream.available(); // gRPC's message streams know their whole length
        if (size > MAX_REQUEST_BYTES) {
          why.set(size + " bytes, over the limit of " + MAX_REQUEST_BYTES + " bytes (16 MiB)");
          return oversized;
        }
        return original.parse(stream);
      } catch (java.io.IOException e) {
        why.set(e.toString());
        return unparsable;
      } catch (StatusRuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        why.set(cause.getMessage());
        // A compressed request's size is known only as it is inflated: over the transport's limit it
        // fails here with RESOURCE_EXHAUSTED.
        return e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED ? oversized : unparsable;
      }
    }

    @Override
    public T getMessagePrototype() {
      return original.getMessagePrototype();
    }

    @Override
    public Class<T> getMessageClass() {
      return original.getMessageClass();
    }
  }

  /** Ends the call at the first unparsable message; the service sees it cancelled, once. */
  private static final class Refusing<Q, R> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final ServerCall<Q, R> call;
    private final Guarded<Q> marshaller;
    private final AtomicReference<String> refusal;
    private final String methodName;

    Refusing(ServerCall.Listener<Q> delegate, ServerCall<Q, R> call, Guarded<Q> marshaller,
        AtomicReference<String> refusal, String methodName) {
      super(delegate);
      this.call = call;
      this.marshaller = marshaller;
      this.refusal = refusal;
      this.methodName = methodName;
    }

    @Override
    public void onMessage(Q message) {
      if (refusal.get() != null) {
        return;
      }
      if (message != marshaller.unparsable && message != marshaller.oversized) {
        super.onMessage(message);
        return;
      }
      String type = ((Message) marshaller.getMessagePrototype()).getDescriptorForType().getFullName();
      String detail = marshaller.why.get();
      marshaller.why.remove();
      Status status = message == marshaller.oversized
          ? Status.RESOURCE_EXHAUSTED.withDescription("a request of " + methodName + " (" + type + ") of " + detail)
          : Status.INVALID_ARGUMENT.withDescription("a request of " + methodName + " is not a valid " + type
              + " (protobuf): " + detail);
      refusal.set(status.getCode() + ": " + status.getDescription());
      // With the typed detail in the trailers, for clients that read google.rpc.Status.
      io.grpc.StatusException typed = io.grpc.protobuf.StatusProto.toStatusException(com.google.rpc.Status.newBuilder()
          .setCode(status.getCode().value()).setMessage(status.getDescription())
          .addDetails(com.google.protobuf.Any.pack(dev.troupe.proto.errordetails.v1.BadFrameFailure.newBuilder()
              .setFrame(type).setReason(detail == null ? "" : detail).build())).build());
      try {
        call.close(status, typed.getTrailers());
      } catch (IllegalStateException alreadyClosed) {
        // the service closed it first: it knows the call is over
      }
      super.onCancel(); // the service ends what the call started (an attached process, a peer link)
    }

    @Override
    public void onHalfClose() {
      if (refusal.get() == null) {
        super.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      if (refusal.get() == null) {
        super.onCancel();
      }
    }

    @Override
    public void onComplete() {
      if (refusal.get() == null) {
        super.onComplete();
      }
    }

    @Override
    public void onReady() {
      if (refusal.get() == null) {
        super.onReady();
      }
    }
  }
}
