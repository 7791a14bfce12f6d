using System;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.AspNetCore.Transport;

/// <summary>
/// The output pipe's writer as Kestrel sees it, counting every byte Kestrel commits, so the connection can tell
/// when its response has been written and sent in full (committed bytes == bytes sent).
/// </summary>
internal sealed class CountingWriter : PipeWriter
{
    private readonly PipeWriter _inner;
    private long _committed;

    public CountingWriter(PipeWriter inner) => _inner = inner;

    /// <summary>Bytes Kestrel has committed with <see cref="Advance"/> (flushed or not).</summary>
    public long Committed => Volatile.Read(ref _committed);

    public override void Advance(int bytes)
    {
        _inner.Advance(bytes);
        Volatile.Write(ref _committed, _committed + bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _inner.FlushAsync(cancellationToken);

    public override void CancelPendingFlush() => _inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

    public override bool CanGetUnflushedBytes => _inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => _inner.UnflushedBytes;
}
