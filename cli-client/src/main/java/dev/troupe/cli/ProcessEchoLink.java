package dev.troupe.cli;

import dev.troupe.api.Message;
import dev.troupe.api.channel.Channel;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.GrpcAttach;
import dev.troupe.examples.echo.EchoProtocol;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** An {@link EchoLink} over a process attached to a node through the attach protocol. */
public final class ProcessEchoLink implements EchoLink {
  /** The label nodes show for this client in logs and status listings. */
  public static final String CLIENT_NAME = "cli-client";

  private final AttachedProcess process;
  private final String address;

  public ProcessEchoLink(AttachedProcess process, String address) {
    this.process = process;
    this.address = address;
  }

  /** Attaches to the node at {@code address} over gRPC, waiting at most {@code timeout}. */
  public static EchoLink.Attacher over(String address, Duration timeout) {
    return () -> new ProcessEchoLink(GrpcAttach.attach(address, "", CLIENT_NAME, timeout), address);
  }

  @Override
  public String pid() {
    return process.pid();
  }

  @Override
  public String node() {
    return process.node();
  }

  @Override
  public String address() {
    return address;
  }

  @Override
  public int maxPayloadBytes() {
    return process.maxPayloadBytes();
  }

  @Override
  public boolean relayRegistered() {
    return process.registry().lookup(EchoProtocol.RELAY).isPresent();
  }

  @Override
  public void sendEcho(Map<String, Object> payload) {
    process.send(EchoProtocol.RELAY, EchoProtocol.ECHO, payload);
  }

  @Override
  public Channel<Message> inbox() {
    return process.inbox();
  }

  @Override
  public boolean hasEnded() {
    return process.hasEnded();
  }

  @Override
  public CompletableFuture<String> ended() {
    return process.ended();
  }

  @Override
  public void close() {
    process.close();
  }
}
