using System;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Platform;

/// <summary>
/// A Unix stream socket (sendmsg/recvmsg with SCM_RIGHTS). Async receives wait through the runtime's socket engine
/// (a zero-byte receive completes when data is readable and consumes nothing); async sends that meet a full buffer
/// wait on the process's one <see cref="ReadinessPoller"/> thread.
/// </summary>
internal sealed partial class SocketConnection : Connection
{
    private Socket? _socket;

    public SocketConnection(FdTransport transport, SafeHandle handle, Socket? socket = null)
        : base(transport, handle)
    {
        _socket = socket;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<Exception?> WaitAsync(bool forWrite, CancellationToken cancellationToken)
    {
        if (forWrite)
        {
            await Transport.WaitAsync(Handle, forWrite: true, cancellationToken).ConfigureAwait(false);
            return null;
        }
        try
        {
            await AsyncSocket().ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (SocketException e)
        {
            // Disposal aborts the wait; otherwise the socket engine's error codes are not errno values: let
            // recvmsg say what is wrong.
            ThrowIfUnusable();
            return e;
        }
        catch (ObjectDisposedException)
        {
            ThrowIfUnusable();
            throw;
        }
    }

    private Socket AsyncSocket()
    {
        if (_socket is { } s)
        {
            return s;
        }
        var created = new Socket((SafeSocketHandle)Handle);
        return Interlocked.CompareExchange(ref _socket, created, null) ?? created;
    }
}
