using System;
using System.IO;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;
using FdPasser.Protocol;
using Microsoft.Win32.SafeHandles;

namespace FdPasser;

// The classic two-byte protocol (send_file / recv_fh), compatible with File::FDpasser and C send_fd/recv_fd.
public sealed partial class FdChannel
{
    private int[]? _asyncDescriptorScratch;
    private byte[]? _asyncByteScratch;

    /// <summary>
    /// Passes one open descriptor (the seed's <c>send_file</c>): the bytes <c>00 00</c> with the descriptor
    /// attached. The caller keeps its handle; the peer gets its own descriptor for the same open file.
    /// </summary>
    /// <param name="handle">A <see cref="SafeFileHandle"/>, <see cref="SafeSocketHandle"/>, pipe handle or any open descriptor's handle.</param>
    public void SendDescriptor(SafeHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ThrowIfUnusable();
        using var exclusive = new Exclusive(this, send: true);
        using var scope = new FdScope(handle);
        ReadOnlySpan<int> fd = stackalloc int[1] { scope.Fd };
        SendAll(ClassicProtocol.Success, fd, "passing a descriptor");
    }

    /// <summary>Passes the descriptor of an open <see cref="FileStream"/> (flushing it first).</summary>
    public void SendDescriptor(FileStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Flush();
        SendDescriptor(stream.SafeFileHandle);
    }

    /// <summary>Passes a <see cref="Socket"/>'s descriptor (a listening TCP socket, a connected client, …).</summary>
    public void SendDescriptor(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        SendDescriptor(socket.SafeHandle);
    }

    /// <summary>Passes a raw descriptor number the caller keeps owning.</summary>
    public void SendDescriptor(int descriptor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(descriptor);
        using var borrowed = new SafeFileHandle(descriptor, ownsHandle: false);
        SendDescriptor(borrowed);
    }

    /// <summary>
    /// Answers with an error status instead of a descriptor: <paramref name="message"/> (if any), a NUL, and the
    /// status byte <paramref name="errorCode"/> mod 256 (1 where that is 0). The peer's receive throws
    /// <see cref="FdPeerErrorException"/> carrying both.
    /// </summary>
    public void SendError(int errorCode, string? message = null)
    {
        ThrowIfUnusable();
        using var exclusive = new Exclusive(this, send: true);
        SendAll(ClassicProtocol.EncodeError(errorCode, message), default, "sending an error status");
    }

    /// <summary>
    /// Receives one descriptor (the seed's <c>recv_fh</c>); the caller owns the returned handle. It is
    /// close-on-exec; see <see cref="FdHandles"/> to make it a <see cref="FileStream"/> or a <see cref="Socket"/>.
    /// </summary>
    /// <exception cref="FdPeerErrorException">The peer sent an error status.</exception>
    /// <exception cref="FdProtocolException">The message broke the protocol; descriptors that came with it were closed.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    public SafeFileHandle ReceiveDescriptor() =>
        TryReceiveDescriptor(out SafeFileHandle? handle) ? handle! : throw new EndOfStreamException("The peer closed the connection before sending a descriptor.");

    /// <summary>
    /// Receives one descriptor; returns false where the peer closed the connection cleanly between messages.
    /// </summary>
    public bool TryReceiveDescriptor(out SafeFileHandle? handle)
    {
        ThrowIfUnusable();
        using var exclusive = new Exclusive(this, send: false);
        var decoder = new ClassicDecoder();
        Span<byte> bytes = stackalloc byte[2];
        Span<int> fds = stackalloc int[1];
        while (!decoder.Complete)
        {
            int n = ReceiveSome(bytes.Slice(0, decoder.Want), fds, out ReceiveResult result, "receiving a descriptor");
            if (Step(ref decoder, bytes.Slice(0, n), fds.Slice(0, result.Descriptors), result) is { } error)
            {
                throw error;
            }
            if (n == 0)
            {
                handle = null;
                return false;
            }
        }
        ReceiveFollowingDescriptor(ref decoder);
        handle = Finish(ref decoder);
        return true;
    }

    /// <summary>Receives one descriptor asynchronously; see <see cref="ReceiveDescriptor"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<SafeFileHandle> ReceiveDescriptorAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        using var exclusive = new Exclusive(this, send: false);
        var decoder = new ClassicDecoder();
        byte[] bytes = _asyncByteScratch ??= new byte[2];
        int[] fds = _asyncDescriptorScratch ??= new int[1];
        try
        {
            while (!decoder.Complete)
            {
                var (n, result) = await ReceiveSomeAsync(bytes.AsMemory(0, decoder.Want), fds, "receiving a descriptor", cancellationToken).ConfigureAwait(false);
                if (Step(ref decoder, bytes.AsSpan(0, n), fds.AsSpan(0, result.Descriptors), result) is { } error)
                {
                    throw error;
                }
                if (n == 0)
                {
                    throw new EndOfStreamException("The peer closed the connection before sending a descriptor.");
                }
            }
        }
        catch (OperationCanceledException) when (decoder.Started)
        {
            // Part of a message was read: the rest would be taken for the start of the next one.
            CloseDecoded(ref decoder);
            _brokenReason = "a receive was cancelled in the middle of a message";
            throw;
        }
        if (NeedsFollowingDescriptor(decoder))
        {
            AddFollowingDescriptor(ref decoder, await ReceiveFollowingDescriptorAsync(cancellationToken).ConfigureAwait(false));
        }
        return Finish(ref decoder);
    }

    /// <summary>Feeds one receive into the decoder; an exception to throw where the message cannot go on.</summary>
    private Exception? Step(ref ClassicDecoder decoder, ReadOnlySpan<byte> bytes, ReadOnlySpan<int> fds, in ReceiveResult result)
    {
        decoder.AddDescriptors(fds, _transport.CloseDescriptor);
        if (result.Problem != ControlProblem.None)
        {
            // The bytes are intact, so finish reading this message to keep the stream in step, then report.
            _pendingProblem ??= Describe(result);
            _pendingClosed += result.Closed;
        }
        if (bytes.Length == 0)
        {
            bool midMessage = decoder.Started;
            CloseDecoded(ref decoder);
            ClearPending();
            return midMessage
                ? new EndOfStreamException("The peer closed the connection in the middle of a message.")
                : null;
        }
        if (!decoder.AddBytes(bytes))
        {
            CloseDecoded(ref decoder);
            ClearPending();
            return Break($"the peer sent more than {ClassicProtocol.MaxTextLength} bytes of text without the NUL that ends a classic message", 0);
        }
        return null;
    }

    private string? _pendingProblem;
    private int _pendingClosed;

    private void ClearPending()
    {
        _pendingProblem = null;
        _pendingClosed = 0;
    }

    private void CloseDecoded(ref ClassicDecoder decoder)
    {
        if (decoder.Descriptor >= 0)
        {
            _transport.CloseDescriptor(decoder.Descriptor);
        }
    }

    private SafeFileHandle Finish(ref ClassicDecoder decoder)
    {
        string? problem = _pendingProblem;
        int closed = _pendingClosed + decoder.ExtraDescriptors;
        ClearPending();
        if (problem is null && decoder.ExtraDescriptors > 0)
        {
            problem = $"{decoder.ExtraDescriptors + 1} descriptors arrived with one classic message, which carries exactly one";
        }
        if (problem is not null)
        {
            if (decoder.Descriptor >= 0)
            {
                closed++;
                _transport.CloseDescriptor(decoder.Descriptor);
            }
            throw new FdProtocolException($"Receiving a descriptor failed: {problem}.", closed, channelBroken: false);
        }
        if (decoder.Status != 0)
        {
            CloseDecoded(ref decoder);
            throw new FdPeerErrorException(decoder.Status, decoder.Text);
        }
        if (decoder.Descriptor < 0)
        {
            throw new FdProtocolException("The peer sent status 0 (success) without a descriptor.", 0, channelBroken: false);
        }
        return new SafeFileHandle(decoder.Descriptor, ownsHandle: true);
    }

    /// <summary>Passes one descriptor asynchronously; see <see cref="SendDescriptor(SafeHandle)"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendDescriptorAsync(SafeHandle handle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ThrowIfUnusable();
        using var exclusive = new Exclusive(this, send: true);
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            int[] fd = _asyncSendScratch ??= new int[1];
            fd[0] = (int)handle.DangerousGetHandle();
            await SendAllAsync(ClassicProtocol.Success, fd, "passing a descriptor", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    private int[]? _asyncSendScratch;

    /// <summary>Sends an error status asynchronously; see <see cref="SendError"/>.</summary>
    public async ValueTask SendErrorAsync(int errorCode, string? message = null, CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        using var exclusive = new Exclusive(this, send: true);
        await SendAllAsync(ClassicProtocol.EncodeError(errorCode, message), default, "sending an error status", cancellationToken).ConfigureAwait(false);
    }
}
