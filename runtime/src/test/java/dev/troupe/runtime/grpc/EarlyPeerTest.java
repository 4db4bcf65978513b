package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.Message;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.process.InJvmHost;
import dev.troupe.runtime.process.LocalAttach;
import dev.troupe.runtime.registry.Directory;
import dev.troupe.runtime.registry.InMemoryDirectory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A peer may hear of a node from the registry, and open a stream to it, before that node has read the
 * registry's answer to its own join (its token, with which it checks tickets). The node holds the
 * stream until it can check it: nothing is refused, nothing is lost, and the peer does not take it
 * for dead.
 */
@Timeout(60)
class EarlyPeerTest {
  private final List<NodeServer> servers = new ArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(NodeServer::close);
  }

  private NodeServer start(String name, Directory directory) throws Exception {
    AtomicReference<Node> ref = new AtomicReference<>();
    Node node = new Node(NodeConfig.defaults(name).withDefaultClientHost("app:" + name + "-clients"), directory,
        List.of(new InJvmHost("app:" + name, new EntryCatalog(), ref::get)));
    ref.set(node);
    NodeServer server = new NodeServer(node, "127.0.0.1", 0, ChannelSettings.defaults()).start();
    servers.add(server);
    return server;
  }

  @Test
  void aStreamOpenedBeforeTheNodeKnowsItsCredentialsIsHeldNotRefused() throws Exception {
    InMemoryDirectory shared = new InMemoryDirectory();
    AtomicBoolean ready = new AtomicBoolean();
    List<Runnable> waiting = new ArrayList<>();
    // n1's view of the directory: as a registry client's before its JoinAccepted arrives
    Directory early = (Directory) Proxy.newProxyInstance(Directory.class.getClassLoader(),
        new Class<?>[] {Directory.class}, (proxy, m, args) -> {
          switch (m.getName()) {
            case "credentialsReady":
              return ready.get();
            case "whenCredentialsReady":
              synchronized (waiting) {
                if (ready.get()) {
                  ((Runnable) args[0]).run();
                } else {
                  waiting.add((Runnable) args[0]);
                }
              }
              return null;
            case "admitsPeer":
              if (!ready.get()) {
                return false;
              }
              break;
            default:
              break;
          }
          try {
            return m.invoke(shared, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    Node n1 = start("n1", early).node();
    Node n2 = start("n2", shared).node();
    AttachedProcess receiver = LocalAttach.attach(n1, "", "receiver");
    AttachedProcess sender = LocalAttach.attach(n2, "", "sender");

    // when: n2 sends to n1 before n1 can check n2's ticket
    sender.send(receiver.pid(), "t", "early");
    assertThat(receiver.inbox().receive(Duration.ofMillis(300))).as("delivered before n1 could check n2")
        .isEmpty();
    synchronized (waiting) {
      ready.set(true);
      waiting.forEach(Runnable::run);
    }

    // then: it arrives once n1 has its credentials, and n2 still reaches n1 on the same link
    Message m = receiver.inbox().receive(Duration.ofSeconds(10)).orElseThrow().value();
    assertThat(m.payload()).isEqualTo("early");
    sender.send(receiver.pid(), "t", "later");
    assertThat(receiver.inbox().receive(Duration.ofSeconds(10)).orElseThrow().value().payload()).isEqualTo("later");
    assertThat(n2.isLost("n1", n1.incarnation())).isFalse();
  }
}
