using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.AspNetCore.Transport;

/// <summary>
/// The input pipe's reader as Kestrel sees it. It counts what Kestrel consumed, knows whether Kestrel holds a read
/// it has not advanced past, and is the one place where received bytes reach Kestrel: once the connection parks
/// for a handover, a read that completes is held back (its bytes stay unconsumed in the pipe and travel as the
/// item's state) until the handover is decided. On commit Kestrel reads the end of its input, as after a client's
/// clean close between requests; on abort it reads on.
/// </summary>
internal sealed class BoundaryReader : PipeReader
{
    private readonly PipeReader _inner;
    private readonly OwnedSocketConnection _owner;
    private ReadOnlySequence<byte> _last;
    private bool _outstanding;
    private bool _ended;
    private long _consumed;
    private int _cancelAsked;

    public BoundaryReader(PipeReader inner, OwnedSocketConnection owner)
    {
        _inner = inner;
        _owner = owner;
    }

    /// <summary>The underlying reader, for the park (on Kestrel's read path only).</summary>
    internal PipeReader Inner => _inner;

    /// <summary>Bytes Kestrel has consumed since the connection started here. Read under the owner's gate.</summary>
    internal long Consumed => _consumed;

    /// <summary>Kestrel holds a read result it has not advanced past. Read under the owner's gate.</summary>
    internal bool Outstanding => _outstanding;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ReadResult result = await _inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            Delivery delivery = Deliver(result);
            if (delivery == Delivery.Given)
            {
                return result;
            }
            if (delivery == Delivery.Spurious)
            {
                // A park's cancel that outlived the park: not Kestrel's, so not shown to it.
                _inner.AdvanceTo(result.Buffer.Start);
                continue;
            }
            if (await _owner.ParkAsync(result).ConfigureAwait(false))
            {
                _ended = true;
                return new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
            }
            if (Interlocked.Exchange(ref _cancelAsked, 0) == 1)
            {
                // Kestrel asked to cancel while the read was held: its next result is the cancelled one.
                Interlocked.Exchange(ref _cancelAsked, 1);
                _inner.CancelPendingRead();
            }
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_ended)
        {
            result = new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
            return true;
        }
        lock (_owner.Gate)
        {
            if (_owner.IsParking)
            {
                result = default;
                return false;
            }
            if (!_inner.TryRead(out result))
            {
                return false;
            }
            _last = result.Buffer;
            _outstanding = true;
            return true;
        }
    }

    private enum Delivery
    {
        Given,
        Held,
        Spurious,
    }

    /// <summary>Gives the result to Kestrel, or keeps it when the connection is parking.</summary>
    private Delivery Deliver(ReadResult result)
    {
        lock (_owner.Gate)
        {
            if (_owner.IsParking && !result.IsCompleted)
            {
                return Delivery.Held;
            }
            if (result.IsCanceled && !result.IsCompleted && Interlocked.Exchange(ref _cancelAsked, 0) == 0)
            {
                return Delivery.Spurious;
            }
            _last = result.Buffer;
            _outstanding = true;
            return Delivery.Given;
        }
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_ended)
        {
            return;
        }
        lock (_owner.Gate)
        {
            _consumed += _last.Slice(_last.Start, consumed).Length;
            _outstanding = false;
            _last = default;
        }
        _inner.AdvanceTo(consumed, examined);
        _owner.OnProgress();
    }

    public override void CancelPendingRead()
    {
        Interlocked.Exchange(ref _cancelAsked, 1);
        _inner.CancelPendingRead();
    }

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);
}
