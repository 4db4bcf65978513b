package dev.troupe.api.channel;

import java.time.Duration;
import java.util.Optional;

/**
 * Go-style {@code select} over several channel operations.
 *
 * <p>Unlike Go, the choice among several ready cases is deterministic: the first ready case in
 * argument order wins. The original runtime specifies this so that programs can express
 * priorities (e.g. "drain data before looking at the quit channel") and so that runs replay.
 * Exactly one case takes effect: when a blocked select completes through one case, the others
 * are withdrawn without consuming or losing any value.
 */
public final class Select {

    private Select() {}

    /**
     * Completes the first ready case in argument order, or blocks until one completes. A
     * receive is ready when the channel has a buffered value, a blocked sender, or is closed; a
     * send when a receiver is waiting, there is buffer room, or the channel is closed (then it
     * fails). With no cases at all it blocks until interrupted, like Go's empty select.
     *
     * @throws ChannelClosedException when the winning case is a send on a closed channel,
     *     including one closed while this select was blocked
     * @throws InterruptedException if interrupted while blocked; no case then took effect
     */
    public static SelectResult select(Case<?>... cases) throws InterruptedException {
        return Selector.await(cases.clone(), Selector.FOREVER);
    }

    /**
     * Like {@link #select(Case[])} but waits at most {@code timeout}, for deadlines without an
     * extra {@link Time#after} channel.
     *
     * @return empty when the timeout elapsed with no case completed
     */
    public static Optional<SelectResult> select(Duration timeout, Case<?>... cases)
            throws InterruptedException {
        return Optional.ofNullable(Selector.await(cases.clone(), Selector.nanos(timeout)));
    }

    /**
     * Completes the first ready case, or returns {@link SelectResult#defaultResult()} at once:
     * Go's {@code select} with a {@code default} branch, used for non-blocking polling.
     *
     * @throws ChannelClosedException when the first ready case is a send on a closed channel
     */
    public static SelectResult selectOrDefault(Case<?>... cases) {
        SelectResult r = Selector.poll(cases.clone());
        return r != null ? r : SelectResult.defaultResult();
    }
}
