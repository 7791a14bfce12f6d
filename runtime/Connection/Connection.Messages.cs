using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Protocol;

namespace FdPasser.Platform;

// One message of any protocol, read through its codec: the loop is the same for classic and framed, once for sync
// and once for async; the codec decides how much to read and what came, the connection does the I/O and the throwing.
internal abstract partial class Connection
{
    /// <summary>
    /// Reads one message through <paramref name="codec"/> until it is complete (its Finish hands it over); false
    /// where the peer closed the connection cleanly between messages. A failure closes what the message brought
    /// and, where it stopped halfway, breaks the connection.
    /// </summary>
    public bool ReceiveMessage(MessageCodec codec, string context)
    {
        try
        {
            ThrowIfEnd(codec.CheckReadAhead());
            while (!codec.Complete)
            {
                Span<byte> into = codec.NextReceive().Span;
                int n = ReceiveSome(into, codec.Room, out ReceiveResult result, context);
                CodecDecision decision = codec.Step(n, result);
                if (decision.Verdict == Verdict.CleanEnd)
                {
                    return false;
                }
                ThrowIfEnd(decision);
            }
            ReceiveFollowingDescriptor(codec);
            return true;
        }
        catch (Exception e)
        {
            Fail(codec, e);
            throw;
        }
    }

    /// <summary><see cref="ReceiveMessage"/> without blocking a thread.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> ReceiveMessageAsync(MessageCodec codec, string context, CancellationToken cancellationToken)
    {
        try
        {
            ThrowIfEnd(codec.CheckReadAhead());
            while (!codec.Complete)
            {
                Memory<byte> into = codec.NextReceive();
                var (n, result) = await ReceiveSomeAsync(into, codec.Room, context, cancellationToken).ConfigureAwait(false);
                CodecDecision decision = codec.Step(n, result);
                if (decision.Verdict == Verdict.CleanEnd)
                {
                    return false;
                }
                ThrowIfEnd(decision);
            }
            await ReceiveFollowingDescriptorAsync(codec, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e)
        {
            Fail(codec, e);
            throw;
        }
    }

    /// <summary>
    /// Where the transport carries a message's descriptor after its bytes (STREAMS), takes it into
    /// <paramref name="codec"/>; over a socket it rode with them already.
    /// </summary>
    protected virtual void ReceiveFollowingDescriptor(MessageCodec codec)
    {
    }

    /// <summary><see cref="ReceiveFollowingDescriptor"/>, without blocking a thread.</summary>
    protected virtual ValueTask ReceiveFollowingDescriptorAsync(MessageCodec codec, CancellationToken cancellationToken) => default;
}
