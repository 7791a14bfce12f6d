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

    /// <summary>
    /// Passes one open descriptor (the seed's <c>send_file</c>): the bytes <c>00 00</c> with the descriptor
    /// attached. The caller keeps its handle; the peer gets its own descriptor for the same open file.
    /// </summary>
    /// <param name="handle">A <see cref="SafeFileHandle"/>, <see cref="SafeSocketHandle"/>, pipe handle or any open descriptor's handle.</param>
    public void SendDescriptor(SafeHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ThrowIfUnusable();
        using var exclusive = _connection.Begin(send: true);
        using var scope = new FdScope(handle);
        ReadOnlySpan<int> fd = stackalloc int[1] { scope.Fd };
        _connection.SendAll(ClassicProtocol.Success, fd, "passing a descriptor");
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
        using var exclusive = _connection.Begin(send: true);
        _connection.SendAll(ClassicProtocol.EncodeError(errorCode, message), default, "sending an error status");
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
        using var exclusive = _connection.Begin(send: false);
        _connection.ThrowIfFramesReadAhead();
        ClassicCodec codec = _connection.Classic;
        if (!_connection.ReceiveMessage(codec, "receiving a descriptor"))
        {
            handle = null;
            return false;
        }
        handle = codec.Finish();
        return true;
    }

    /// <summary>Receives one descriptor asynchronously; see <see cref="ReceiveDescriptor"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<SafeFileHandle> ReceiveDescriptorAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        using var exclusive = _connection.Begin(send: false);
        _connection.ThrowIfFramesReadAhead();
        ClassicCodec codec = _connection.Classic;
        if (!await _connection.ReceiveMessageAsync(codec, "receiving a descriptor", cancellationToken).ConfigureAwait(false))
        {
            throw new EndOfStreamException("The peer closed the connection before sending a descriptor.");
        }
        return codec.Finish();
    }

    /// <summary>Passes one descriptor asynchronously; see <see cref="SendDescriptor(SafeHandle)"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendDescriptorAsync(SafeHandle handle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ThrowIfUnusable();
        using var exclusive = _connection.Begin(send: true);
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            int[] fd = _asyncSendScratch ??= new int[1];
            fd[0] = (int)handle.DangerousGetHandle();
            await _connection.SendAllAsync(ClassicProtocol.Success, fd, "passing a descriptor", cancellationToken).ConfigureAwait(false);
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
        using var exclusive = _connection.Begin(send: true);
        await _connection.SendAllAsync(ClassicProtocol.EncodeError(errorCode, message), default, "sending an error status", cancellationToken).ConfigureAwait(false);
    }
}
