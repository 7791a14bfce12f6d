using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Platform;

/// <summary>
/// Waits for sockets to become ready without a thread per wait: one background thread polls every pending
/// waiter plus a wake-up socket. The runtime's socket engine has no "wait until writable" operation (a zero-byte
/// send completes at once) and no readiness wait for a listening socket it did not accept on, so async sends
/// that meet a full socket buffer and async accepts wait here.
/// </summary>
internal sealed class ReadinessPoller
{
    private static ReadinessPoller? s_shared;

    private readonly SocketTransport _transport;
    private readonly SafeSocketHandle _wakeReader;
    private readonly SafeSocketHandle _wakeWriter;
    private readonly object _gate = new();
    private readonly List<Waiter> _waiters = new();

    private ReadinessPoller(SocketTransport transport)
    {
        _transport = transport;
        transport.CreatePair(out _wakeReader, out _wakeWriter);
        var thread = new Thread(Run) { IsBackground = true, Name = "FdPasser readiness poller" };
        thread.Start();
    }

    public static ReadinessPoller Shared
    {
        get
        {
            if (s_shared is { } p)
            {
                return p;
            }
            lock (typeof(ReadinessPoller))
            {
                return s_shared ??= new ReadinessPoller(Transports.Socket);
            }
        }
    }

    private sealed class Waiter
    {
        public Waiter(System.Runtime.InteropServices.SafeHandle handle)
        {
            Handle = handle;
        }

        public System.Runtime.InteropServices.SafeHandle Handle { get; }

        public int Fd { get; set; }

        public short Events { get; set; }

        public bool Referenced;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }

    /// <summary>Completes when the socket is writable (or has failed: the next send reports why).</summary>
    public Task WaitWritableAsync(System.Runtime.InteropServices.SafeHandle handle, CancellationToken cancellationToken) =>
        WaitAsync(handle, _transport.POLLOUT, cancellationToken);

    /// <summary>Completes when the socket is readable, e.g. a listening socket has a connection pending.</summary>
    public Task WaitReadableAsync(System.Runtime.InteropServices.SafeHandle handle, CancellationToken cancellationToken) =>
        WaitAsync(handle, _transport.POLLIN, cancellationToken);

    private async Task WaitAsync(System.Runtime.InteropServices.SafeHandle handle, short events, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new Waiter(handle) { Events = events };
        handle.DangerousAddRef(ref waiter.Referenced);
        waiter.Fd = (int)handle.DangerousGetHandle();
        lock (_gate)
        {
            _waiters.Add(waiter);
        }
        waiter.Registration = cancellationToken.Register(static state =>
        {
            var (poller, w) = ((ReadinessPoller, Waiter))state!;
            if (poller.Remove(w))
            {
                w.Completion.TrySetCanceled();
            }
        }, (this, waiter));
        Wake();
        try
        {
            await waiter.Completion.Task.ConfigureAwait(false);
        }
        finally
        {
            await waiter.Registration.DisposeAsync().ConfigureAwait(false);
        }
    }

    private bool Remove(Waiter waiter)
    {
        lock (_gate)
        {
            if (!_waiters.Remove(waiter))
            {
                return false;
            }
        }
        Release(waiter);
        Wake();
        return true;
    }

    private static void Release(Waiter waiter)
    {
        if (waiter.Referenced)
        {
            waiter.Referenced = false;
            waiter.Handle.DangerousRelease();
        }
    }

    private void Wake() => _transport.TrySend(_wakeWriter, stackalloc byte[1] { 1 }, default, out _);

    private void Run()
    {
        var fds = new List<int>();
        var events = new List<short>();
        var snapshot = new List<Waiter>();
        Span<byte> drain = stackalloc byte[64];
        while (true)
        {
            fds.Clear();
            events.Clear();
            snapshot.Clear();
            fds.Add((int)_wakeReader.DangerousGetHandle());
            events.Add(_transport.POLLIN);
            lock (_gate)
            {
                foreach (Waiter w in _waiters)
                {
                    snapshot.Add(w);
                    fds.Add(w.Fd);
                    events.Add(w.Events);
                }
            }
            short[] revents = new short[fds.Count];
            try
            {
                _transport.PollMany(
                    System.Runtime.InteropServices.CollectionsMarshal.AsSpan(fds), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events), revents, -1);
            }
            catch (FdPassingException e)
            {
                FailAll(snapshot, e);
                continue;
            }
            if (revents[0] != 0)
            {
                while (_transport.TryReceive(_wakeReader, drain, default, out _, out _) > 0)
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

    private void FailAll(List<Waiter> waiters, Exception error)
    {
        foreach (Waiter w in waiters)
        {
            if (Take(w))
            {
                w.Completion.TrySetException(error);
            }
        }
    }
}
