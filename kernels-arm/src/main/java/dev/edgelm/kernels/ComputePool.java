package dev.edgelm.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that run all parallel kernel work: persistent daemon threads (one per core by default), work
 * handed out in chunks of rows through one atomic counter, the calling thread working alongside them.
 *
 * <p>Each call runs one job to completion before returning; it allocates nothing, and waiting threads spin
 * briefly before they park, so a job costs a few atomic operations rather than a task submission. Every row is
 * computed by exactly one thread with the same code whatever the chunking, so results do not depend on the
 * number of threads. Calls from several threads are serialised.
 */
public final class ComputePool implements AutoCloseable {

    /** Work over a range of indices [start, end); must be safe to run concurrently on disjoint ranges. */
    @FunctionalInterface
    public interface RangeTask {
        /** Processes indices [start, end). */
        void run(int start, int end);
    }

    /** Spins before parking: long enough to catch back-to-back kernels, short enough not to steal a core. */
    private static final int SPINS = 1 << 14;

    private final Thread[] workers;
    private final Object callLock = new Object();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final MatrixJob matrixJob = new MatrixJob();

    /** Incremented to publish a job; workers run a job when it changes. */
    private volatile int generation;
    private volatile boolean closed;
    private volatile Thread caller;
    private RangeTask task;
    private int count;
    private int chunk;

    /**
     * A pool of {@code threads} threads in all, the caller included (so {@code threads - 1} are started).
     *
     * @throws IllegalArgumentException if {@code threads} is not positive
     */
    public ComputePool(int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException("threads must be positive, got " + threads);
        }
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("edgelm-compute-" + (i + 1)).unstarted(this::workLoop);
            workers[i].start();
        }
    }

    /**
     * The default thread count: {@code -Dedgelm.threads} if set, else the available processors (the JDK cannot
     * tell physical cores from hardware threads portably; pass an explicit count on SMT machines).
     */
    public static int defaultThreads() {
        return Integer.getInteger("edgelm.threads", Runtime.getRuntime().availableProcessors());
    }

    /** Threads that run jobs, the caller included. */
    public int threads() {
        return workers.length + 1;
    }

    /**
     * Runs {@code task} over [0, count) in chunks of {@code chunk} indices, on all threads, and returns when
     * every chunk is done. An exception thrown by the task is rethrown here (after all threads have stopped
     * working on the job).
     *
     * @throws IllegalArgumentException if {@code count} is negative or {@code chunk} not positive
     * @throws IllegalStateException if the pool is closed
     */
    public void forEachChunk(int count, int chunk, RangeTask task) {
        if (count < 0 || chunk <= 0) {
            throw new IllegalArgumentException("need count >= 0 and chunk > 0, got " + count + ", " + chunk);
        }
        synchronized (callLock) {
            if (closed) {
                throw new IllegalStateException("compute pool is closed");
            }
            if (workers.length == 0 || count <= chunk) {
                task.run(0, count);
                return;
            }
            this.task = task;
            this.count = count;
            this.chunk = chunk;
            caller = Thread.currentThread();
            failure.set(null);
            next.set(0);
            running.set(workers.length);
            generation++; // the volatile write publishes the fields above
            for (Thread worker : workers) {
                LockSupport.unpark(worker);
            }
            work();
            int spins = 0;
            while (running.get() != 0) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            this.task = null;
            Throwable thrown = failure.getAndSet(null);
            if (thrown instanceof RuntimeException e) {
                throw e;
            }
            if (thrown instanceof Error e) {
                throw e;
            }
        }
    }

    /**
     * {@code kernels.matvec} over all rows of {@code w}, split across the pool.
     *
     * @see Kernels#matvec
     */
    public void matvec(Kernels kernels, WeightMatrix w, QuantizedActivations x, float[] out) {
        synchronized (callLock) {
            matrixJob.set(kernels, w, x, out, false);
            forEachChunk(w.rows(), chunkRows(w.rows()), matrixJob);
        }
    }

    /**
     * {@code kernels.matmul} over all rows of {@code w} and all columns of {@code x}, split across the pool.
     *
     * @see Kernels#matmul
     */
    public void matmul(Kernels kernels, WeightMatrix w, QuantizedActivations x, float[] out) {
        synchronized (callLock) {
            matrixJob.set(kernels, w, x, out, true);
            forEachChunk(w.rows(), chunkRows(w.rows()), matrixJob);
        }
    }

    /** Rows per chunk: about 8 chunks per thread, so a slow thread does not hold up the others, at least 16. */
    private int chunkRows(int rows) {
        return Math.max(16, rows / (threads() * 8));
    }

    /** Stops the workers; jobs already running finish first. */
    @Override
    public void close() {
        synchronized (callLock) {
            closed = true;
        }
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
    }

    private void workLoop() {
        int seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            work();
            if (running.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    /** Takes chunks until none are left; a failure stops this thread's share and is reported to the caller. */
    private void work() {
        RangeTask current = task;
        int total = count;
        int size = chunk;
        try {
            for (int start = next.getAndAdd(size); start < total; start = next.getAndAdd(size)) {
                current.run(start, Math.min(total, start + size));
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            next.set(total); // the others stop taking chunks
        }
    }

    /** The arguments of the current matrix product, reused so that a product allocates nothing. */
    private static final class MatrixJob implements RangeTask {
        private Kernels kernels;
        private WeightMatrix w;
        private QuantizedActivations x;
        private float[] out;
        private boolean allColumns;

        void set(Kernels kernels, WeightMatrix w, QuantizedActivations x, float[] out, boolean allColumns) {
            this.kernels = kernels;
            this.w = w;
            this.x = x;
            this.out = out;
            this.allColumns = allColumns;
        }

        @Override
        public void run(int start, int end) {
            if (allColumns) {
                kernels.matmul(w, x, out, start, end);
            } else {
                kernels.matvec(w, x, out, start, end);
            }
        }
    }
}
