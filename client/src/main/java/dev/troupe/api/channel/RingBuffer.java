package dev.troupe.api.channel;

/**
 * A fixed-capacity FIFO that, unlike {@link java.util.ArrayDeque}, accepts null elements,
 * because a channel message may legitimately carry no payload. Not thread-safe: the owning
 * channel guards it with its lock.
 */
final class RingBuffer {

    private final Object[] items;
    private int head;
    private int size;

    RingBuffer(int capacity) {
        this.items = new Object[capacity];
    }

    int size() {
        return size;
    }

    int capacity() {
        return items.length;
    }

    boolean isEmpty() {
        return size == 0;
    }

    boolean isFull() {
        return size == items.length;
    }

    void push(Object value) {
        if (isFull()) {
            throw new IllegalStateException("buffer full");
        }
        items[(head + size) % items.length] = value;
        size++;
    }

    Object pop() {
        if (isEmpty()) {
            throw new IllegalStateException("buffer empty");
        }
        Object value = items[head];
        items[head] = null; // let the value be collected once consumed
        head = (head + 1) % items.length;
        size--;
        return value;
    }
}
