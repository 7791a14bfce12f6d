using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Platform;

/// <summary>
/// Waits for descriptors to become ready without a thread per wait: one background thread per transport polls
/// every pending waiter plus a wake-up pair. The runtime's socket engine has no "wait until writable" operation
/// (a zero-byte send completes at once), no readiness wait for a listening socket it did not accept on, and no
/// way to wait on STREAMS descriptors, so those waits come here. The thread ends after a while without waiters
/// and starts again with the next one.
/// </summary>
internal sealed class ReadinessPoller
{
    private const int IdleMilliseconds = 10_000;

    private static ReadinessPoller? s_shared;

    private readonly FdTransport _transport;
    private readonly object _gate = new();
    private readonly List<Waiter> _waiters = new();
    private SafeHandle? _wakeReader;
    private SafeHandle? _wakeWriter;
    private bool _running;

    public ReadinessPoller(FdTransport transport)
    {
        _transport = transport;
    }

    /// <summary>The poller of the socket transport of this process.</summary>
    public static ReadinessPoller Shared
    {
        get
        {
            ReadinessPoller? p = Volatile.Read(ref s_shared);
            if (p is not null)
            {
                return p;
            }
            var created = new ReadinessPoller(Target.Current.Sockets);
            return Interlocked.CompareExchange(ref s_shared, created, null) ?? created;
        }
    }

    /// <summary>The shared poller where one was made, else null (nothing can be waiting on it).</summary>
    public static ReadinessPoller? SharedIfStarted => Volatile.Read(ref s_shared);

    /// <summary>
    /// Completes every wait on <paramref name="handle"/> at once and drops its references, so disposing the handle
    /// closes the descriptor now; the woken operation finds its owner disposed.
    /// </summary>
    public void Abort(SafeHandle handle)
    {
        List<Waiter>? aborted = null;
        lock (_gate)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Handle == handle)
                {
                    (aborted ??= new List<Waiter>()).Add(_waiters[i]);
                    _waiters.RemoveAt(i);
                }
            }
        }
        if (aborted is null)
        {
            return;
        }
        foreach (Waiter w in aborted)
        {
            Release(w);
            w.Completion.TrySetResult();
        }
        // poll() holds a reference to every file it waits on until it returns: the descriptor would outlive its
        // closing (a listener's name stay bound) until the poller's current poll() ends. Wake it and wait for that.
        lock (_gate)
        {
            long cycle = _cycles;
            Wake();
            long deadline = Environment.TickCount64 + 5_000;
            while (_running && _cycles == cycle && Environment.TickCount64 < deadline)
            {
                Monitor.Wait(_gate, 100);
            }
        }
    }

    private long _cycles;

    private sealed class Waiter
    {
        public Waiter(SafeHandle handle, short events)
        {
            Handle = handle;
            Events = events;
        }

        public SafeHandle Handle { get; }

        public short Events { get; }

        public int Fd;

        public bool Referenced;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Completes when the descriptor is writable (or has failed: the next send reports why).</summary>
    public Task WaitWritableAsync(SafeHandle handle, CancellationToken cancellationToken) =>
        WaitAsync(handle, (short)_transport.Constants.POLLOUT, cancellationToken);

    /// <summary>Completes when the descriptor is readable, e.g. a listening socket has a connection pending.</summary>
    public Task WaitReadableAsync(SafeHandle handle, CancellationToken cancellationToken) =>
        WaitAsync(handle, (short)_transport.Constants.POLLIN, cancellationToken);

    private async Task WaitAsync(SafeHandle handle, short events, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new Waiter(handle, events);
        handle.DangerousAddRef(ref waiter.Referenced);
        waiter.Fd = (int)handle.DangerousGetHandle();
        try
        {
            lock (_gate)
            {
                if (_wakeReader is null)
                {
                    _transport.CreateWakePair(out SafeHandle reader, out SafeHandle writer);
                    _wakeReader = reader;
                    _wakeWriter = writer;
                }
                _waiters.Add(waiter);
                if (!_running)
                {
                    _running = true;
                    new Thread(Run) { IsBackground = true, Name = "FdPasser readiness poller" }.Start();
                }
            }
        }
        catch
        {
            Release(waiter);
            throw;
        }
        using CancellationTokenRegistration registration = cancellationToken.Register(static state =>
        {
            var (poller, w) = ((ReadinessPoller, Waiter))state!;
            if (poller.Take(w))
            {
                w.Completion.TrySetCanceled();
                poller.Wake();
            }
        }, (this, waiter));
        Wake();
        await waiter.Completion.Task.ConfigureAwait(false);
    }

    private static void Release(Waiter waiter)
    {
        if (waiter.Referenced)
        {
            waiter.Referenced = false;
            waiter.Handle.DangerousRelease();
        }
    }

    private bool Take(Waiter waiter)
    {
        lock (_gate)
        {
            if (!_waiters.Remove(waiter))
            {
                return false;
            }
        }
        Release(waiter);
        return true;
    }

    private void Wake() => _transport.TrySend(_wakeWriter!, stackalloc byte[1] { 1 }, default, out _);

    private void Run()
    {
        var fds = new List<int>();
        var events = new List<short>();
        var snapshot = new List<Waiter>();
        byte[] drain = new byte[64];
        while (true)
        {
            fds.Clear();
            events.Clear();
            snapshot.Clear();
            lock (_gate)
            {
                fds.Add((int)_wakeReader!.DangerousGetHandle());
                events.Add((short)_transport.Constants.POLLIN);
                foreach (Waiter w in _waiters)
                {
                    snapshot.Add(w);
                    fds.Add(w.Fd);
                    events.Add(w.Events);
                }
            }
            short[] revents = new short[fds.Count];
            int ready;
            try
            {
                ready = _transport.PollMany(CollectionsMarshal.AsSpan(fds), CollectionsMarshal.AsSpan(events), revents,
                    snapshot.Count == 0 ? IdleMilliseconds : -1);
            }
            catch (FdPassingException e)
            {
                foreach (Waiter w in snapshot)
                {
                    if (Take(w))
                    {
                        w.Completion.TrySetException(e);
                    }
                }
                continue;
            }
            lock (_gate)
            {
                _cycles++;
                Monitor.PulseAll(_gate);
            }
            if (ready == 0 && snapshot.Count == 0)
            {
                lock (_gate)
                {
                    if (_waiters.Count == 0)
                    {
                        _running = false;
                        return;
                    }
                }
            }
            if (revents[0] != 0)
            {
                while (_transport.TryReceive(_wakeReader!, drain, default, out _, out _) > 0)
                {
                }
            }
            for (int i = 0; i < snapshot.Count; i++)
            {
                if (revents[i + 1] != 0 && Take(snapshot[i]))
                {
                    snapshot[i].Completion.TrySetResult();
                }
            }
        }
    }
}
