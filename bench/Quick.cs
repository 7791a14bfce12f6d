using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Bench;

/// <summary>
/// <c>quick --fds K --iterations N [--api raw|classic|framed|floor] [--floor LIB [--touch N [--touch-stride S]]] [--async] [--pending] [--warmup-ms W] [--cpu]</c>: runs the pass-K workload N times
/// after W ms of warm-up (so the measured code is fully tiered up) and prints one line
/// <c>ns_per_msg=X ns_per_fd=Y alloc_bytes_per_msg=Z</c> (sync runs add <c>p10_ns_per_msg=B p10_ns_per_fd=E</c>: the
/// tenth-fastest of every ten blocks of 500 descriptors' worth of messages (at least 4), which load from other jobs on the machine moves far less); <c>--cpu</c> appends <c>cpu_ns_per_msg=C cpu_ns_per_fd=D</c>,
/// the process's CPU time, which a busy machine inflates far less than the elapsed time.
/// <para>
/// <c>--async</c> uses <see cref="FdChannel.SendRawAsync"/> and <see cref="FdChannel.ReceiveRawAsync(Memory{byte}, Memory{int}, System.Threading.CancellationToken)"/>
/// on one thread, so every operation completes synchronously. <c>--pending</c> (with <c>--async</c>) measures
/// asynchronous completions instead: a ping-pong between two tasks, where each receive is issued before the
/// peer has sent; it adds <c>pending_per_msg=P</c> (the share of receives that really waited) and counts
/// allocations of the whole process.
/// </para>
/// <para>
/// <c>--api</c> picks the API measured: <c>raw</c> (the default: the allocation-free span overloads), <c>framed</c>
/// (SendFrame/ReceiveFrame with an FdMessage) or <c>classic</c> (SendDescriptor/ReceiveDescriptor, pass-1 only);
/// <c>floor</c> measures no FdPasser API but what the runtime costs: bench/c/pass.c's calls made through P/Invoke
/// (<see cref="FloorWorkload"/>; sync only, <c>--floor</c> names bench/c/floor.c built as a shared library), and
/// with <c>--touch N</c> what writing N bytes of memory, S bytes apart (default: a page and a cache line), between
/// sendmsg and recvmsg adds to that.
/// </para>
/// </summary>
internal static class Quick
{
    public static int Run(ReadOnlySpan<string> args)
    {
        int fds = 1;
        long iterations = 100_000;
        bool useAsync = false, pending = false;
        int warmupMs = 500;
        string api = "raw";
        bool cpu = false;
        string? floorLibrary = null;
        int touch = 0, touchStride = FloorWorkload.DefaultStride;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--fds":
                    fds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--iterations":
                    iterations = long.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--warmup-ms":
                    warmupMs = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--async":
                    useAsync = true;
                    break;
                case "--pending":
                    pending = true;
                    break;
                case "--api":
                    api = args[++i];
                    break;
                case "--cpu":
                    cpu = true;
                    break;
                case "--floor":
                    floorLibrary = args[++i];
                    break;
                case "--touch":
                    touch = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--touch-stride":
                    touchStride = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'");
                    Console.Error.WriteLine("usage: quick --fds K --iterations N [--api raw|classic|framed|floor] [--floor LIB [--touch N [--touch-stride S]]] [--async [--pending]] [--warmup-ms W] [--cpu]");
                    return 2;
            }
        }
        if (fds < 0 || iterations < 1 || touch < 0 || touchStride < 1 || (touch > 0 && api != "floor"))
        {
            Console.Error.WriteLine("--fds must be >= 0, --iterations >= 1, --touch >= 0 (with --api floor only) and --touch-stride >= 1");
            return 2;
        }
        if (api is not ("raw" or "classic" or "framed" or "floor") || (api == "classic" && fds != 1) || (pending && api != "raw")
            || (api == "floor") != (floorLibrary is not null) || (api == "floor" && useAsync))
        {
            Console.Error.WriteLine("--api is raw, classic (with --fds 1), framed or floor (sync, with --floor LIB); --pending measures raw only");
            return 2;
        }

        using var workload = new PassWorkload(fds);
        Result r = pending
            ? RunPending(workload, iterations, warmupMs).GetAwaiter().GetResult()
            : useAsync
                ? RunAsync(AsyncPass(workload, api), iterations, warmupMs).GetAwaiter().GetResult()
                : RunSync(SyncPass(workload, api, floorLibrary, touch, touchStride), iterations, warmupMs, BlockLength(fds));

        double nsPerMsg = r.Elapsed.TotalNanoseconds / iterations;
        double nsPerFd = fds == 0 ? 0 : nsPerMsg / fds;
        double allocPerMsg = (double)r.AllocatedBytes / iterations;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"ns_per_msg={nsPerMsg:F1} ns_per_fd={nsPerFd:F1} alloc_bytes_per_msg={allocPerMsg:0.###}");
        if (!double.IsNaN(r.BlockNs))
        {
            line += string.Create(CultureInfo.InvariantCulture, $" p10_ns_per_msg={r.BlockNs:F1} p10_ns_per_fd={(fds == 0 ? 0 : r.BlockNs / fds):F1}");
        }
        if (pending)
        {
            line += string.Create(CultureInfo.InvariantCulture, $" pending_per_msg={(double)r.Pending / iterations:0.###}");
        }
        if (cpu)
        {
            double cpuPerMsg = r.Cpu.TotalNanoseconds / iterations;
            line += string.Create(CultureInfo.InvariantCulture, $" cpu_ns_per_msg={cpuPerMsg:F1} cpu_ns_per_fd={(fds == 0 ? 0 : cpuPerMsg / fds):F1}");
        }
        Console.WriteLine(line);
        return 0;
    }

    private readonly record struct Result(TimeSpan Elapsed, long AllocatedBytes, long Pending, TimeSpan Cpu, double BlockNs = double.NaN);

    /// <summary>Messages per timed block of a sync run: a few milliseconds or less, shorter than a scheduler's time slice.</summary>
    private static int BlockLength(int fds) => Math.Max(4, 500 / Math.Max(1, fds));

    /// <summary>The one message of the API measured, chosen once so that the timed loop does not choose it each time.</summary>
    private static Action SyncPass(PassWorkload w, string api, string? floorLibrary, int touch, int touchStride) => api switch
    {
        "framed" => w.PassFramed,
        "classic" => w.PassClassic,
        "floor" => new FloorWorkload(floorLibrary!, w, touch, touchStride).Pass,
        _ => w.Pass,
    };

    /// <summary>The async message of the API measured, chosen once as <see cref="SyncPass"/> is.</summary>
    private static Func<ValueTask> AsyncPass(PassWorkload w, string api) => api switch
    {
        "framed" => w.PassFramedAsync,
        "classic" => w.PassClassicAsync,
        _ => w.PassAsync,
    };

    private static Result RunSync(Action pass, long iterations, int warmupMs, int blockLength)
    {
        long until = Stopwatch.GetTimestamp() + (warmupMs * Stopwatch.Frequency / 1000);
        do
        {
            for (int i = 0; i < 100; i++)
            {
                pass();
            }
        }
        while (Stopwatch.GetTimestamp() < until);

        // The loop is timed in blocks as well as whole: on a machine shared with other jobs most blocks of a few
        // milliseconds run without being preempted, so the fastest tenth of them measures the code, not the load.
        long[] blocks = new long[(iterations + blockLength - 1) / blockLength];
        TimeSpan cpu0 = Environment.CpuUsage.TotalTime;
        long bytes0 = GC.GetAllocatedBytesForCurrentThread();
        long t0 = Stopwatch.GetTimestamp();
        long start = t0;
        for (long i = 0, b = 0; i < iterations; b++)
        {
            long end = Math.Min(iterations, i + blockLength);
            for (; i < end; i++)
            {
                pass();
            }
            long now = Stopwatch.GetTimestamp();
            blocks[b] = end - (b * blockLength) == blockLength ? now - start : long.MaxValue;
            start = now;
        }
        long t1 = Stopwatch.GetTimestamp();
        long bytes1 = GC.GetAllocatedBytesForCurrentThread();
        TimeSpan cpu1 = Environment.CpuUsage.TotalTime;
        Array.Sort(blocks);
        int full = Array.IndexOf(blocks, long.MaxValue) is var last and >= 0 ? last : blocks.Length;
        double blockNs = full == 0 ? double.NaN
            : blocks[full / 10] * (1e9 / Stopwatch.Frequency) / blockLength;
        return new Result(Stopwatch.GetElapsedTime(t0, t1), bytes1 - bytes0, 0, cpu1 - cpu0, blockNs);
    }

    private static async Task<Result> RunAsync(Func<ValueTask> pass, long iterations, int warmupMs)
    {
        long until = Stopwatch.GetTimestamp() + (warmupMs * Stopwatch.Frequency / 1000);
        do
        {
            for (int i = 0; i < 100; i++)
            {
                await pass().ConfigureAwait(false);
            }
        }
        while (Stopwatch.GetTimestamp() < until);

        // Every await completes synchronously, so the loop stays on this thread and the per-thread count is exact.
        int thread = Environment.CurrentManagedThreadId;
        TimeSpan cpu0 = Environment.CpuUsage.TotalTime;
        long bytes0 = GC.GetAllocatedBytesForCurrentThread();
        long t0 = Stopwatch.GetTimestamp();
        for (long i = 0; i < iterations; i++)
        {
            await pass().ConfigureAwait(false);
        }
        long t1 = Stopwatch.GetTimestamp();
        long bytes1 = GC.GetAllocatedBytesForCurrentThread();
        TimeSpan cpu1 = Environment.CpuUsage.TotalTime;
        if (Environment.CurrentManagedThreadId != thread)
        {
            throw new InvalidOperationException("An operation completed asynchronously; the allocation count would be wrong.");
        }
        return new Result(Stopwatch.GetElapsedTime(t0, t1), bytes1 - bytes0, 0, cpu1 - cpu0);
    }

    /// <summary>
    /// Ping-pong between two tasks: the main task sends K descriptors and awaits a 1-byte answer; the echo task
    /// awaits the message, closes the descriptors and answers. Both receives are issued before the data exists,
    /// so they complete asynchronously (through the runtime's socket engine) unless the peer was quicker.
    /// </summary>
    private static async Task<Result> RunPending(PassWorkload w, long iterations, int warmupMs)
    {
        byte[] payload = { 1 };
        byte[] answer = new byte[1];
        int[] send = new int[w.Descriptors];
        Array.Fill(send, (int)w.DevNull.DangerousGetHandle());
        int[] none = Array.Empty<int>();

        Task echo = Task.Run(async () =>
        {
            byte[] buffer = new byte[1];
            int[] received = new int[Math.Max(1, w.Descriptors)];
            byte[] reply = { 2 };
            while (true)
            {
                var (n, count) = await w.Receiver.ReceiveRawAsync(buffer, received).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }
                for (int i = 0; i < count; i++)
                {
                    FdHandles.Close(received[i]);
                }
                await w.Receiver.SendRawAsync(reply, none).ConfigureAwait(false);
            }
        });

        long pending = 0;
        long bytes0 = 0, t0 = 0;
        TimeSpan cpu0 = default;
        long until = Stopwatch.GetTimestamp() + (warmupMs * Stopwatch.Frequency / 1000);
        bool warm = false;
        for (long i = 0; i < iterations; i++)
        {
            if (!warm)
            {
                if (Stopwatch.GetTimestamp() < until)
                {
                    i = -1; // still warming up: do not count this round trip
                }
                else
                {
                    warm = true;
                    cpu0 = Environment.CpuUsage.TotalTime;
                    bytes0 = GC.GetTotalAllocatedBytes(precise: true);
                    t0 = Stopwatch.GetTimestamp();
                }
            }
            // The round trip is written out here, not in a separate method, so the loop itself allocates nothing.
            await w.Sender.SendRawAsync(payload, send).ConfigureAwait(false);
            ValueTask<(int Bytes, int DescriptorCount)> receive = w.Sender.ReceiveRawAsync(answer, none);
            if (!receive.IsCompleted && warm)
            {
                pending++;
            }
            var (n, _) = await receive.ConfigureAwait(false);
            if (n != 1)
            {
                throw new InvalidOperationException("The echo task did not answer.");
            }
        }
        long t1 = Stopwatch.GetTimestamp();
        long bytes1 = GC.GetTotalAllocatedBytes(precise: true);
        TimeSpan cpu1 = Environment.CpuUsage.TotalTime;
        w.Sender.Dispose(); // end of stream: the echo task returns
        await echo.ConfigureAwait(false);
        return new Result(Stopwatch.GetElapsedTime(t0, t1), bytes1 - bytes0, pending, cpu1 - cpu0);
    }
}
