using System;
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;

namespace FdPasser.AspNetCore.Transport;

/// <summary>The name a listening descriptor was passed under (the handover item's name, matched by the successor).</summary>
internal interface IListenerNames
{
    string? NameOf(ulong descriptor);
}

/// <summary>
/// Binds inherited listeners (<see cref="FileHandleEndPoint"/>, from <c>ListenHandle</c>) with this package's own
/// socket transport: like Kestrel's, but it owns its sockets, so a connection handed to a successor is closed
/// without <c>shutdown()</c>.
/// </summary>
internal sealed class OwnedSocketTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    private readonly IListenerNames _names;
    private readonly MemoryPool<byte> _pool;
    private readonly bool _ownsPool;

    public OwnedSocketTransportFactory(IListenerNames names, ConnectionRegistry registry, IServiceProvider services)
    {
        _names = names;
        Registry = registry;
        if (services.GetService(typeof(IMemoryPoolFactory<byte>)) is IMemoryPoolFactory<byte> factory)
        {
            _pool = factory.Create(new MemoryPoolOptions { Owner = "FdPasser.AspNetCore" });
            _ownsPool = true;
        }
        else
        {
            _pool = MemoryPool<byte>.Shared;
        }
    }

    public ConnectionRegistry Registry { get; }

    public bool CanBind(EndPoint endpoint) => endpoint is FileHandleEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not FileHandleEndPoint handle)
        {
            throw new NotSupportedException($"The FdPasser transport binds inherited listeners only, not {endpoint}.");
        }
        // Borrowed: the host owns the descriptor (InheritedDescriptors) and closes it, never shutdown(), at its end.
        var socket = new Socket(new SafeSocketHandle((IntPtr)checked((long)handle.FileHandle), ownsHandle: false));
        string name = _names.NameOf(handle.FileHandle) ?? $"fd{handle.FileHandle}";
        var listener = new OwnedSocketListener(socket, name, socket.LocalEndPoint ?? endpoint, _pool, Registry);
        Registry.AddListener(listener);
        return new ValueTask<IConnectionListener>(listener);
    }

    public void Dispose()
    {
        if (_ownsPool)
        {
            _pool.Dispose();
        }
    }
}
