package io.distlock.demo;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The progress line on a terminal: a status while something starts, a bar while a stream is replayed. Drawn on
 * stderr with carriage returns and erased when done, so the report on stdout stays clean; does nothing when stderr
 * is not a terminal (piped or redirected output stays plain). Used from one thread; the drawing thread is internal.
 */
final class Progress {

    private static final long REDRAW_MILLIS = 80;
    private static final int BAR_WIDTH = 30;

    private final PrintStream err;
    private final boolean enabled;
    private final boolean unicode;

    private Progress(PrintStream err, boolean enabled, boolean unicode) {
        this.err = err;
        this.enabled = enabled;
        this.unicode = unicode;
    }

    static Progress on(PrintStream err, boolean unicode) {
        return new Progress(err, true, unicode);
    }

    static Progress off() {
        return new Progress(null, false, false);
    }

    /** Shows {@code text} until the next status, bar or {@link #clear()}. */
    void status(String text) {
        if (enabled) {
            err.print("\r\033[K" + text);
            err.flush();
        }
    }

    void clear() {
        status("");
    }

    /** Draws a bar for {@code done} out of {@code total} until the returned bar is closed. */
    Bar bar(String label, int total, AtomicInteger done) {
        return new Bar(label, total, done::get);
    }

    /** A bar being drawn; closing it erases it. */
    final class Bar implements AutoCloseable {
        private final Thread drawer;
        private volatile boolean running = true;

        private Bar(String label, int total, IntSupplier done) {
            if (!enabled) {
                drawer = null;
                return;
            }
            drawer = new Thread(() -> {
                while (running) {
                    status(render(label, done.getAsInt(), total));
                    try {
                        Thread.sleep(REDRAW_MILLIS);
                    } catch (InterruptedException e) {
                        return; // closing the bar interrupts the drawer: nothing left to draw
                    }
                }
            }, "demo-progress");
            drawer.setDaemon(true);
            drawer.start();
        }

        @Override
        public void close() {
            if (drawer == null) {
                return;
            }
            running = false;
            drawer.interrupt();
            try {
                drawer.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            clear();
        }
    }

    private String render(String label, int done, int total) {
        int filled = total == 0 ? BAR_WIDTH : (int) ((long) BAR_WIDTH * Math.min(done, total) / total);
        char full = unicode ? '\u2588' : '#';
        char empty = unicode ? '\u2591' : '.';
        StringBuilder line = new StringBuilder(label.length() + BAR_WIDTH + 24);
        line.append(label).append(' ');
        for (int i = 0; i < BAR_WIDTH; i++) {
            line.append(i < filled ? full : empty);
        }
        int percent = total == 0 ? 100 : (int) (100L * Math.min(done, total) / total);
        line.append(String.format(" %3d%%  %d/%d", percent, done, total));
        return line.toString();
    }
}
