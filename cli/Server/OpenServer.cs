using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Cli.Server;

/// <summary>
/// The accept loop: every connection is served by its own <see cref="ClientConnection"/>, concurrently, until
/// <c>stop</c> is cancelled; then open connections get a moment to finish and the listener is left to its owner.
/// At most <see cref="ServerOptions.MaxConnections"/> are served at once; further clients wait in the listen
/// backlog (see <see cref="ConnectionLimit"/>).
/// </summary>
internal sealed class OpenServer
{
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(2);


    private readonly FdListener _listener;
    private readonly FileOpener _opener;
    private readonly ServerOptions _options;
    private readonly ServerLog _log;
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private readonly ConnectRefusals _refusals;

    public OpenServer(FdListener listener, FileOpener opener, ServerOptions options, ServerLog log)
    {
        _listener = listener;
        _opener = opener;
        _options = options;
        _log = log;
        _refusals = new ConnectRefusals(log);
    }

    public async Task RunAsync(CancellationToken stop)
    {
        var slots = new SemaphoreSlim(_options.MaxConnections, _options.MaxConnections); // not disposed: connections still draining release it
        bool full = false;
        while (!stop.IsCancellationRequested)
        {
            // At the limit, further clients wait in the listen backlog until a connection ends.
            if (!slots.Wait(0))
            {
                if (!full)
                {
                    full = true;
                    _log.Write($"serving {_options.MaxConnections} connection(s), the most at once; further clients wait");
                }
                try
                {
                    await slots.WaitAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            else
            {
                full = false;
            }
            FdConnection connection;
            try
            {
                connection = await _listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                slots.Release();
                break;
            }
            catch (FdPassingException e)
            {
                slots.Release();
                // EMFILE, ENFILE, ECONNABORTED…: the listener is fine; try again shortly.
                _log.Write("accept failed: " + e.Message);
                try
                {
                    await Task.Delay(100, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }
            if (!_options.AllowedUids.Contains(connection.Peer.UserId))
            {
                // Refused before a request is read and without a slot, so that a refused user cannot hold one.
                slots.Release();
                _refusals.Refuse(connection);
                continue;
            }
            Task served = ServeAsync(connection, slots, stop);
            _connections.TryAdd(served, true);
            _ = served.ContinueWith(t => _connections.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        Task[] open = _connections.Keys.ToArray();
        if (open.Length > 0)
        {
            await Task.WhenAny(Task.WhenAll(open), Task.Delay(DrainTime, CancellationToken.None)).ConfigureAwait(false);
        }
        _refusals.Dispose();
    }

    private async Task ServeAsync(FdConnection connection, SemaphoreSlim slots, CancellationToken stop)
    {
        await Task.Yield();
        try
        {
            await new ClientConnection(connection, _opener, _options, _log).RunAsync(stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One client's failure never ends the server.
            _log.Peer(connection.Peer, "connection failed: " + OneLine.Of(e));
            connection.Channel.Dispose();
        }
        finally
        {
            slots.Release();
        }
    }
}
