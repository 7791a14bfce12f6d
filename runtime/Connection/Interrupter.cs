using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace FdPasser.Platform;

/// <summary>
/// Wakes the threads blocked in poll() on one channel or listener when it is disposed. Closing a descriptor does
/// not wake a poll() on it (and the SafeHandle keeps it open while the call holds a reference), and shutdown() would
/// break the socket for every process sharing it. So every blocking wait also polls the reading end of one wake-up
/// pair per transport (<see cref="WakePair"/>), and disposal raises it until its own waits have left.
/// </summary>
internal sealed class Interrupter
{
    // How long a disposal waits for its blocked threads to notice before it lowers the pair again; they wake at once,
    // so this bounds only a thread that was descheduled.
    private const int LeaveMilliseconds = 5_000;

    private readonly FdTransport _transport;
    private int _waiters;
    private int _signalled;

    public Interrupter(FdTransport transport)
    {
        _transport = transport;
    }

    public bool IsSignalled => Volatile.Read(ref _signalled) != 0;

    /// <summary>
    /// Waits until <paramref name="handle"/> is ready: 1 when it is, 0 on time-out, -1 where <see cref="Signal"/> was
    /// called (or the handle was disposed) before or during the wait.
    /// </summary>
    public int Wait(SafeHandle handle, bool forWrite, int timeoutMilliseconds)
    {
        Interlocked.Increment(ref _waiters);
        try
        {
            SafeHandle? wake = _transport.Wakes.Reader;
            long deadline = timeoutMilliseconds < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;
            while (true)
            {
                if (IsSignalled)
                {
                    return -1;
                }
                int wait = timeoutMilliseconds < 0 ? -1 : (int)Math.Max(0, deadline - Environment.TickCount64);
                int ready = _transport.Poll(handle, wake, forWrite, wait);
                if (ready >= 0 || IsSignalled)
                {
                    return IsSignalled ? -1 : ready;
                }
                // Another owner's disposal raised the pair; it lowers it as soon as its own waits have left.
                Thread.Yield();
            }
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    /// <summary>Wakes every wait of this owner, now and later; returns once they have left poll().</summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref _signalled, 1) != 0 || Volatile.Read(ref _waiters) == 0)
        {
            // A wait that starts from now on sees the flag before it polls.
            return;
        }
        WakePair wakes = _transport.Wakes;
        if (!wakes.Raise())
        {
            return;
        }
        long deadline = Environment.TickCount64 + LeaveMilliseconds;
        var spin = default(SpinWait);
        while (Volatile.Read(ref _waiters) != 0 && Environment.TickCount64 < deadline)
        {
            spin.SpinOnce();
        }
        wakes.Lower();
    }
}

/// <summary>
/// One connected pair per transport whose reading end every blocking wait polls besides its own descriptor: a
/// disposal writes a byte (raise) and reads it back once its waits have left (lower). Made at the first blocking
/// wait, it lives as long as the process, like the readiness poller. Where it cannot be made (no descriptor left),
/// waits go on without it and disposal cannot cut them short.
/// </summary>
internal sealed class WakePair
{
    private readonly FdTransport _transport;
    private readonly object _gate = new();
    private SafeHandle? _reader;
    private SafeHandle? _writer;
    private bool _tried;

    public WakePair(FdTransport transport)
    {
        _transport = transport;
    }

    public SafeHandle? Reader
    {
        get
        {
            if (Volatile.Read(ref _tried))
            {
                return _reader;
            }
            lock (_gate)
            {
                if (!_tried)
                {
                    try
                    {
                        _transport.CreateWakePair(out SafeHandle reader, out SafeHandle writer);
                        _writer = writer;
                        _reader = reader;
                    }
                    catch (FdPassingException)
                    {
                    }
                    Volatile.Write(ref _tried, true);
                }
                return _reader;
            }
        }
    }

    public bool Raise()
    {
        if (Reader is null)
        {
            return false;
        }
        return _transport.TrySend(_writer!, stackalloc byte[1] { 1 }, default, out _) == 1;
    }

    public void Lower()
    {
        Span<byte> one = stackalloc byte[1];
        _transport.TryReceive(_reader!, one, default, out _, out _);
    }
}
