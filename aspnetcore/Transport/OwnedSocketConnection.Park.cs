using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.AspNetCore.Transport;

/// <summary>Told when a connection has parked at a request boundary, with the bytes read but not consumed.</summary>
internal interface IParkSink
{
    void Parked(OwnedSocketConnection connection, byte[] unread);
}

/// <summary>
/// The park: at a request boundary (no request in progress, the last response sent in full, Kestrel holding no
/// read and having consumed nothing past the end of the last request) the connection stops reading its socket and
/// holds Kestrel's next read, so what arrives later stays in the kernel and travels with the descriptor. Kestrel
/// consumes header lines as it parses them, so "all consumed" alone is no boundary: the position consumed when the
/// last request ended is.
/// </summary>
internal sealed partial class OwnedSocketConnection
{
    private CancellationTokenSource _pause = new();
    private TaskCompletionSource _receiveStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool> _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool>? _decision;
    private IParkSink? _sink;
    private bool _capable;
    private bool _incapable;
    private int _requestsInProgress;
    private long _boundary = -1;
    private volatile bool _parkWanted;
    private bool _parking;
    private bool _relinquished;
    private bool _abortAfterPark;

    /// <summary>The lock of the park's state, shared with the reader that delivers bytes to Kestrel.</summary>
    internal object Gate { get; } = new();

    /// <summary>Under <see cref="Gate"/>: reads are held back.</summary>
    internal bool IsParking => _parking;

    /// <summary>A request on a plain HTTP/1.1 connection has begun (or, with false, one that cannot be handed over: TLS, HTTP/2, an upgrade).</summary>
    public void RequestBegun(bool handoverCapable)
    {
        lock (Gate)
        {
            _requestsInProgress++;
            _incapable |= !handoverCapable;
        }
    }

    /// <summary>
    /// The request's response is complete and its body consumed (<paramref name="atBoundary"/>), so the position
    /// consumed now is where the next request starts; false where that is not known (the app failed).
    /// </summary>
    public void RequestEnded(bool atBoundary)
    {
        lock (Gate)
        {
            _requestsInProgress--;
            _boundary = atBoundary ? _reader.Consumed : -1;
            _capable |= atBoundary;
        }
        OnProgress();
    }

    /// <summary>True once a request proved the connection plain HTTP/1.1 and nothing since ruled a handover out.</summary>
    public bool IsHandoverCapable
    {
        get
        {
            lock (Gate)
            {
                return _capable && !_incapable;
            }
        }
    }

    /// <summary>True while a request is in progress.</summary>
    public bool IsBusy
    {
        get
        {
            lock (Gate)
            {
                return _requestsInProgress > 0;
            }
        }
    }

    /// <summary>Asks the connection to park at its next request boundary (now, where it is at one) and tell <paramref name="sink"/>.</summary>
    public void WantHandover(IParkSink sink)
    {
        lock (Gate)
        {
            _sink = sink;
            _parkWanted = true;
        }
        OnProgress();
    }

    /// <summary>The park is no longer wanted: a connection on its way to one reads on; one parked stays for its decision.</summary>
    public void StopWanting()
    {
        bool undo;
        lock (Gate)
        {
            _parkWanted = false;
            undo = _parking && _decision is null && !_relinquished;
        }
        if (undo)
        {
            Resume(retry: false);
        }
    }

    /// <summary>Alive, able to be handed over, wanted, and not parked yet: what the handover still waits for.</summary>
    public bool IsOnItsWayToPark
    {
        get
        {
            lock (Gate)
            {
                return _parkWanted && _capable && !_incapable && !_socketClosed && !_relinquished && _decision is null
                    && (_requestsInProgress > 0 || _boundary >= 0);
            }
        }
    }

    /// <summary>On its way to park and at a request boundary already (no request in progress): it parks at once.</summary>
    public bool IsAboutToPark
    {
        get
        {
            lock (Gate)
            {
                return IsOnItsWayToPark && _requestsInProgress == 0;
            }
        }
    }

    /// <summary>Called when Kestrel advanced its read, a request ended or bytes were sent.</summary>
    internal void OnProgress()
    {
        if (_parkWanted)
        {
            TryPark();
        }
    }

    private void TryPark()
    {
        CancellationTokenSource pause;
        lock (Gate)
        {
            if (!_parkWanted || _parking || !_capable || _incapable || _relinquished || _socketClosed || _requestsInProgress > 0
                || _reader.Outstanding || _reader.Consumed != _boundary || _writer.Committed != Volatile.Read(ref _sent))
            {
                return;
            }
            _parking = true;
            pause = _pause;
        }
        pause.Cancel();                      // the receive loop's wait for data
        _input.Writer.CancelPendingFlush();  // or its wait for Kestrel to read
        _reader.Inner.CancelPendingRead();   // Kestrel's read (or its next one) comes to the park
    }

    /// <summary>
    /// On Kestrel's read path, with the read the park held back: waits for the receive loop to be out of the socket,
    /// takes the bytes read but not consumed, tells the sink, and waits for the decision.
    /// </summary>
    /// <returns>True when the successor took the connection (Kestrel's input ends); false to read on.</returns>
    internal async ValueTask<bool> ParkAsync(ReadResult held)
    {
        Task stopped;
        lock (Gate)
        {
            stopped = _receiveStopped.Task;
        }
        await stopped.ConfigureAwait(false);
        // Kestrel reads for the next request only after writing the end of the last response; it must be sent.
        for (int waited = 0; _writer.Committed != Volatile.Read(ref _sent) && !_socketClosed; waited++)
        {
            if (waited == 1000)
            {
                lock (Gate)
                {
                    _decision = null;
                }
                Resume(retry: false); // a client that does not read its response is not handed over
                return false;
            }
            await Task.Delay(1).ConfigureAwait(false);
        }
        PipeReader inner = _reader.Inner;
        inner.AdvanceTo(held.Buffer.Start);
        byte[] unread = Array.Empty<byte>();
        bool ended = false;
        if (inner.TryRead(out ReadResult all))
        {
            unread = all.Buffer.ToArray();
            ended = all.IsCompleted;
            inner.AdvanceTo(all.Buffer.Start);
        }
        TaskCompletionSource<bool> decision = new(TaskCreationOptions.RunContinuationsAsynchronously);
        IParkSink? sink;
        lock (Gate)
        {
            if (!_parking)
            {
                return false; // given up while the receive loop stopped
            }
            if (_requestsInProgress > 0 || _reader.Consumed != _boundary)
            {
                // Kestrel read on after the request ended (the rest of a body the app left): no boundary here.
                ended = true;
            }
            _decision = decision;
            sink = _sink;
            if (!ended)
            {
                // Told under the gate, so whoever stops wanting the park either sees it parked or undoes it first.
                sink?.Parked(this, unread);
                FdPasser.AspNetCore.Handover.HandoverTrace.Mark("park", RemoteEndPoint, unread.Length);
            }
        }
        if (ended || sink is null)
        {
            Resume(retry: false); // the client closed its side: Kestrel ends the connection as it would have
            return false;
        }
        return await decision.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Undoes a park (the successor did not take the connection, or the handover ended): reading goes on. With
    /// <paramref name="retry"/> false the connection is not asked again.
    /// </summary>
    public void Resume(bool retry = false)
    {
        TaskCompletionSource<bool> resume;
        TaskCompletionSource<bool>? decision;
        CancellationTokenSource old;
        lock (Gate)
        {
            _parkWanted &= retry;
            if (!_parking)
            {
                return;
            }
            _parking = false;
            old = _pause;
            _pause = new CancellationTokenSource();
            _receiveStopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            resume = _resume;
            _resume = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            decision = _decision;
            _decision = null;
        }
        resume.TrySetResult(true);
        decision?.TrySetResult(false);
        old.Dispose();
        if (Volatile.Read(ref _abortAfterPark))
        {
            Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException("aborted while offered to a successor"));
        }
    }

    /// <summary>The successor committed: Kestrel's connection ends as at a clean boundary and the socket is closed without shutdown.</summary>
    public void Relinquish()
    {
        TaskCompletionSource<bool> resume;
        TaskCompletionSource<bool>? decision;
        lock (Gate)
        {
            _relinquished = true;
            _parkWanted = false;
            resume = _resume;
            decision = _decision;
        }
        resume.TrySetResult(false);
        decision?.TrySetResult(true);
    }
}
