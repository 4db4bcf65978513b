package dev.troupe.client;

import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.api.TroupeException;
import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.ChannelClosedException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A process's queue of arrived messages and events, and the rule that routes them, evaluated at
 * delivery time as in the original: a listener on exactly the message's topic first, else the inbox;
 * events to the events channel. Delivery into a channel never blocks: an item waits in the queue until
 * its channel can take it (inbox and events are rendezvous channels, so until a receiver waits). An
 * item waiting for one channel does not hold back items for other channels; per channel, order is kept.
 *
 * <p>Events and messages wait in queues of their own: they never share a channel, so neither holds
 * back the other, and a process busy with a backlog of messages still gets its EXIT as soon as it
 * waits for events, without every arrival walking the whole backlog (the relay's profile under 1,000
 * requests in flight: 6-9 % of its CPU was that walk).
 *
 * <p>A listener's channel (buffer 1) must be refilled when its reader takes the buffered value, also
 * by a reader that only polls (tryReceive, select with default), which never announces itself as
 * waiting. The original refills at the process's next step. Here the first item that finds the buffer
 * full is handed to a pump: a virtual thread blocked in {@code send}, which the channel completes the
 * moment the buffer is popped. The item stays queued until then, holding back the items behind it for
 * the same channel, and is never routed twice.
 */
final class Mailbox {
  private record Listener(Channel<Object> channel, boolean messages) {}

  private final Object lock = new Object();
  // Sized for what most processes hold (nothing, or a message or two), as each process has a mailbox:
  // the defaults (16-slot deques, a 64-slot identity table) were 430 bytes of every process.
  /** Messages, routed when they move (a listener may appear for their topic meanwhile). */
  private final ArrayDeque<Message> messages = new ArrayDeque<>(2);
  private final ArrayDeque<Event> eventQueue = new ArrayDeque<>(2);
  private final Map<String, Listener> listeners = new HashMap<>();
  private Channel<Message> inbox;
  private Channel<Event> events;
  private boolean closed;
  /** Queued messages a pump is sending (by identity: equal messages are distinct items). */
  private final Map<Message, Thread> pumps = new IdentityHashMap<>(2);

  void add(Object messageOrEvent) {
    // The receiver is woken after the lock is released: woken inside, it often ran first (on the
    // other core) and blocked on this lock at its next receive.
    Channel.handOverThenWake(() -> {
      synchronized (lock) {
        if (closed) {
          return;
        }
        if (messageOrEvent instanceof Event e) {
          eventQueue.add(e);
        } else {
          messages.add((Message) messageOrEvent);
        }
        flushLocked(); // under the same hold of the lock: one acquisition per delivery, not two
      }
    });
  }

  /**
   * Messages that came together (one batch of a stream), in order: one hold of the lock and one
   * attempt to move them, where {@link #add} per message would contend with the receiver each time.
   */
  void addAll(Message[] arrived) {
    Channel.handOverThenWake(() -> {
      synchronized (lock) {
        if (closed) {
          return;
        }
        for (Message m : arrived) {
          messages.add(m);
        }
        flushLocked();
      }
    });
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
      flushLocked();
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void flushLocked() {
    while (events != null && !eventQueue.isEmpty() && events.trySend(eventQueue.peek())) {
      eventQueue.poll();
    }
    if (messages.isEmpty()) {
      return;
    }
    if (listeners.isEmpty() && pumps.isEmpty()) {
      // Every message is for the inbox (most processes, most of the time): move them in order
      // until it takes no more, without the bookkeeping of several channels.
      while (inbox != null && !messages.isEmpty() && inbox.trySend(messages.peek())) {
        messages.poll();
      }
      return;
    }
    Set<Channel<?>> blocked = new HashSet<>();
    // Once every message channel is blocked nothing further can move: stop there instead of
    // walking a long queue on every arrival (the profile's hot spot under a flood).
    int channels = listeners.size() + (inbox == null ? 0 : 1);
    for (Iterator<Message> it = messages.iterator(); it.hasNext() && blocked.size() < channels; ) {
      Message m = it.next();
      Channel target;
      Object value;
      Listener l = listeners.get(m.topic());
      if (l != null) {
        target = l.channel();
        value = l.messages() ? m : m.payload();
      } else {
        target = inbox;
        value = m;
      }
      if (target == null || blocked.contains(target)) {
        continue;
      }
      if (pumps.containsKey(m)) {
        blocked.add(target); // in flight: whatever follows for this channel waits behind it
        continue;
      }
      if (target.trySend(value)) {
        it.remove();
      } else {
        blocked.add(target);
        if (l != null) {
          pump(m, target, value);
        }
      }
    }
  }

  /** Hands {@code item} to a thread that blocks in send until its listener's buffer is popped. */
  private void pump(Message item, Channel<Object> target, Object value) {
    Thread t = Thread.ofVirtual().unstarted(() -> {
      boolean sent;
      try {
        target.send(value);
        sent = true;
      } catch (ChannelClosedException | InterruptedException e) {
        sent = false; // unlistened (it falls through to the inbox), or the process is over
      }
      synchronized (lock) {
        pumps.remove(item);
        if (sent) {
          messages.removeIf(x -> x == item);
        }
      }
      flush();
    });
    pumps.put(item, t);
    t.start();
  }

  /** Drops what is queued: the process is over. */
  void close() {
    synchronized (lock) {
      closed = true;
      messages.clear();
      eventQueue.clear();
      pumps.values().forEach(Thread::interrupt);
      pumps.clear();
    }
  }

  int queued() {
    synchronized (lock) {
      return messages.size() + eventQueue.size();
    }
  }
}
