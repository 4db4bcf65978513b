package dev.troupe.runtime.process;

import dev.troupe.runtime.api.Event;
import dev.troupe.runtime.api.Message;
import dev.troupe.runtime.api.TroupeException;
import dev.troupe.runtime.api.channel.Channel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A process's queue of arrived messages and events, and the rule that routes them, evaluated at
 * delivery time as in the original: a listener on exactly the message's topic first, else the inbox;
 * events to the events channel. Delivery into a channel never blocks: an item waits in the queue until
 * its channel can take it (inbox and events are rendezvous channels, so until a receiver waits). An
 * item waiting for one channel does not hold back items for other channels; per channel, order is kept.
 */
final class Mailbox {
  private record Listener(Channel<Object> channel, boolean messages) {}

  private final Object lock = new Object();
  private final ArrayDeque<Object> queue = new ArrayDeque<>();
  private final Map<String, Listener> listeners = new HashMap<>();
  private Channel<Message> inbox;
  private Channel<Event> events;
  private boolean closed;

  void add(Object messageOrEvent) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      queue.add(messageOrEvent);
    }
    flush();
  }

  @SuppressWarnings("unchecked")
  Channel<Object> listen(String topic, boolean messages) {
    if (topic == null || topic.isEmpty()) {
      throw TroupeException.invalid("topic cannot be empty");
    }
    if (topic.startsWith("@")) {
      throw TroupeException.invalid("cannot listen to @ topics");
    }
    Channel<Object> ch;
    synchronized (lock) {
      Listener l = listeners.get(topic);
      if (l == null) {
        ch = Channel.buffered(1);
        ch.onReceiverWaiting(this::flush);
        listeners.put(topic, new Listener(ch, messages));
      } else {
        ch = l.channel();
        if (messages && !l.messages()) {
          listeners.put(topic, new Listener(ch, true)); // as the original: message mode sticks
        }
      }
    }
    flush();
    return ch;
  }

  boolean unlisten(String topic) {
    Listener l;
    synchronized (lock) {
      l = listeners.remove(topic);
    }
    if (l == null) {
      return false;
    }
    l.channel().close();
    flush(); // what waited for that topic now falls through to the inbox
    return true;
  }

  Channel<Message> inbox() {
    Channel<Message> ch;
    synchronized (lock) {
      if (inbox == null) {
        inbox = Channel.unbuffered();
        inbox.onReceiverWaiting(this::flush);
      }
      ch = inbox;
    }
    flush();
    return ch;
  }

  Channel<Event> events() {
    Channel<Event> ch;
    synchronized (lock) {
      if (events == null) {
        events = Channel.unbuffered();
        events.onReceiverWaiting(this::flush);
      }
      ch = events;
    }
    flush();
    return ch;
  }

  /** Moves every item whose channel can take it now, keeping order per channel. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  void flush() {
    synchronized (lock) {
      if (queue.isEmpty()) {
        return;
      }
      Set<Channel<?>> blocked = new HashSet<>();
      for (Iterator<Object> it = queue.iterator(); it.hasNext(); ) {
        Object item = it.next();
        Channel target;
        Object value;
        if (item instanceof Event e) {
          target = events;
          value = e;
        } else {
          Message m = (Message) item;
          Listener l = listeners.get(m.topic());
          if (l != null) {
            target = l.channel();
            value = l.messages() ? m : m.payload();
          } else {
            target = inbox;
            value = m;
          }
        }
        if (target == null || blocked.contains(target)) {
          continue;
        }
        if (target.trySend(value)) {
          it.remove();
        } else {
          blocked.add(target);
        }
      }
    }
  }

  /** Drops what is queued: the process is over. */
  void close() {
    synchronized (lock) {
      closed = true;
      queue.clear();
    }
  }

  int queued() {
    synchronized (lock) {
      return queue.size();
    }
  }
}
