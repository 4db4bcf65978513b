package dev.troupe.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The CLI is a client, not a node: its class path holds the attach client and never the node. */
class ClassPathTest {
  @Test
  void theCliLoadsTheAttachClient() throws ClassNotFoundException {
    assertThat(Class.forName("dev.troupe.client.GrpcAttach")).isNotNull();
  }

  @Test
  void theCliCannotLoadTheNodeItsServerOrTheRegistryClient() {
    for (String nodeClass : new String[] {"dev.troupe.runtime.node.Node", "dev.troupe.runtime.grpc.NodeServer",
        "dev.troupe.runtime.grpc.RegistryClient"}) {
      assertThatThrownBy(() -> Class.forName(nodeClass)).as(nodeClass).isInstanceOf(ClassNotFoundException.class);
    }
  }
}
