using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.AspNetCore.Transport;

/// <summary>
/// The inherited listeners of this transport by name (where adopted connections are yielded) and every live
/// connection (what the drain parks and hands over).
/// </summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<OwnedSocketConnection, bool> _connections = new();
    private readonly ConcurrentDictionary<string, OwnedSocketListener> _listeners = new(System.StringComparer.Ordinal);
    private TaskCompletionSource _empty = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count => _connections.Count;

    public IReadOnlyList<OwnedSocketConnection> Snapshot() => _connections.Keys.ToArray();

    public void Add(OwnedSocketConnection connection) => _connections[connection] = true;

    public void Remove(OwnedSocketConnection connection)
    {
        if (_connections.TryRemove(connection, out _) && _connections.IsEmpty)
        {
            Interlocked.Exchange(ref _empty, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    /// <summary>Completes when no connection is left (at once where none is).</summary>
    public Task WhenEmptyAsync()
    {
        Task empty = Volatile.Read(ref _empty).Task;
        return _connections.IsEmpty ? Task.CompletedTask : empty;
    }

    /// <summary>The first listener registered under <paramref name="name"/> (a name may repeat: its listeners are alike).</summary>
    public OwnedSocketListener? Listener(string name) => _listeners.TryGetValue(name, out OwnedSocketListener? l) ? l : null;

    /// <summary>Any one registered listener, or null where none is.</summary>
    public OwnedSocketListener? AnyListener() => _listeners.Values.FirstOrDefault();

    public void AddListener(OwnedSocketListener listener) => _listeners.TryAdd(listener.Name, listener);

    public void RemoveListener(OwnedSocketListener listener) => ((ICollection<KeyValuePair<string, OwnedSocketListener>>)_listeners).Remove(new(listener.Name, listener));
}
