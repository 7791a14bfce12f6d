using System;
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;

namespace FdPasser.AspNetCore.Transport;

/// <summary>
/// An inherited listening socket (borrowed: the host owns the descriptor) served with
/// <see cref="OwnedSocketConnection"/>s, which also yields the connections a predecessor handed over under its name.
/// </summary>
internal sealed class OwnedSocketListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly MemoryPool<byte> _pool;
    private readonly ConnectionRegistry _registry;
    private readonly Channel<OwnedSocketConnection> _adopted = Channel.CreateUnbounded<OwnedSocketConnection>();
    private readonly CancellationTokenSource _acceptCancel = new();
    private Task<Socket>? _accepting;
    private Task<bool>? _handedOver;
    private volatile bool _unbound;

    public OwnedSocketListener(Socket socket, string name, EndPoint endPoint, MemoryPool<byte> pool, ConnectionRegistry registry)
    {
        _socket = socket;
        Name = name;
        EndPoint = endPoint;
        _pool = pool;
        _registry = registry;
    }

    public string Name { get; }

    public EndPoint EndPoint { get; }

    /// <summary>Starts a connection handed over by a predecessor (its unread bytes first) and yields it to Kestrel.</summary>
    public bool Adopt(Socket socket, byte[] unread)
    {
        return _adopted.Writer.TryWrite(new OwnedSocketConnection(socket, Name, _pool, _registry, unread));
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (!_unbound)
        {
            if (_adopted.Reader.TryRead(out OwnedSocketConnection? adopted))
            {
                adopted.Start();
                return adopted;
            }
            Socket? accepted;
            // One accept stays under way across calls, so a handed-over connection never waits for a client; a
            // cancelled call cancels it (the kernel's accept is withdrawn, taking nothing from the backlog).
            _accepting ??= _socket.AcceptAsync(_acceptCancel.Token).AsTask();
            using (cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _acceptCancel))
            {
                _handedOver ??= _adopted.Reader.WaitToReadAsync(CancellationToken.None).AsTask();
                if (await Task.WhenAny(_accepting, _handedOver).ConfigureAwait(false) != _accepting)
                {
                    bool more = await _handedOver.ConfigureAwait(false);
                    _handedOver = null;
                    if (!more)
                    {
                        return null; // unbound
                    }
                    continue;
                }
            }
            try
            {
                accepted = await _accepting.ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                _accepting = null;
                continue; // the client went away before the accept, as Kestrel's transport skips it
            }
            catch (OperationCanceledException)
            {
                _accepting = null;
                if (_unbound)
                {
                    return null;
                }
                throw; // no connection was taken: an accept that had taken one returned it instead
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                _accepting = null;
                return null; // unbound
            }
            _accepting = null;
            if (accepted.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                accepted.NoDelay = true;
            }
            var connection = new OwnedSocketConnection(accepted, Name, _pool, _registry);
            connection.Start();
            return connection;
        }
        return null;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        // Never shutdown() or close the listener here: other processes share it (the next generation accepts on it).
        _unbound = true;
        _registry.RemoveListener(this);
        _adopted.Writer.TryComplete();
        _acceptCancel.Cancel();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _registry.RemoveListener(this);
        _adopted.Writer.TryComplete();
        // The descriptor is the host's (not owned by this Socket), so this only drops .NET's view of it.
        _acceptCancel.Cancel();
        _socket.Dispose();
        while (_adopted.Reader.TryRead(out OwnedSocketConnection? left))
        {
            left.CloseUnstarted();
        }
        return ValueTask.CompletedTask;
    }
}
