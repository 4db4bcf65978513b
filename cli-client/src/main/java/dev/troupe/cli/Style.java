package dev.troupe.cli;

/** The tutorial's colours (dim, green, yellow, cyan), or plain text when colour is off. */
public record Style(boolean color) {
  private static final String RESET = "\u001b[0m";

  /** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
  public static Style detect(boolean terminal) {
    String noColor = System.getenv("NO_COLOR");
    return new Style(terminal && (noColor == null || noColor.isEmpty()));
  }

  public String dim(String s) {
    return wrap("\u001b[2m", s);
  }

  public String green(String s) {
    return wrap("\u001b[32m", s);
  }

  public String yellow(String s) {
    return wrap("\u001b[33m", s);
  }

  public String cyan(String s) {
    return wrap("\u001b[36m", s);
  }

  private String wrap(String code, String s) {
    return color ? code + s + RESET : s;
  }
}
