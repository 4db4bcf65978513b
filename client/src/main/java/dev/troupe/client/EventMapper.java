package dev.troupe.client;

import dev.troupe.api.Event;
import dev.troupe.api.ExitResult;
import dev.troupe.client.wire.PayloadCodec;
import dev.troupe.proto.common.v1.ProcessEvent;

/** Wire events to the Java API's {@link Event}. */
final class EventMapper {
  private EventMapper() {}

  static Event toEvent(ProcessEvent e) {
    Event.Kind kind = switch (e.getKind()) {
      case EVENT_KIND_LINK_DOWN -> Event.Kind.LINK_DOWN;
      case EVENT_KIND_CANCEL -> Event.Kind.CANCEL;
      default -> Event.Kind.EXIT;
    };
    ExitResult result = null;
    if (kind != Event.Kind.CANCEL) {
      var r = e.getResult();
      result = r.hasError()
          ? ExitResult.failed(r.getError().getKind().name().replace("ERROR_KIND_", ""),
              r.getError().getMessage())
          : ExitResult.normal(r.hasValue() ? PayloadCodec.decode(r.getValue()) : null);
    }
    return new Event(kind, e.getFrom(), e.getAtUnixMs(), result, e.getReason());
  }
}
