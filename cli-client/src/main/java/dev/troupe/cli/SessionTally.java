package dev.troupe.cli;

/**
 * What an Echo session came to, and the exit code that tells a script: 0 when the node stayed
 * reachable and some line got its answer (or no line was typed); 1 when the connection to the node was
 * lost for good, or lines were typed and none got an answer. (Not attaching at all, or no relay at
 * start, is 1 too; a bad command line is picocli's 2.)
 */
final class SessionTally {
  static final int OK = 0;
  static final int FAILED = 1;

  private int lines;
  private int answered;
  private boolean connectionLost;

  /** A line was read and is being handled. */
  void line() {
    lines++;
  }

  /** A line got its worker's answer. */
  void answered() {
    answered++;
  }

  /** Re-attaching gave up: the node is gone. */
  void connectionLost() {
    connectionLost = true;
  }

  int lines() {
    return lines;
  }

  int answeredLines() {
    return answered;
  }

  int exitCode() {
    if (connectionLost || (lines > 0 && answered == 0)) {
      return FAILED;
    }
    return OK;
  }
}
