using System;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Interop;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;
using FdPasser.Hosting;

namespace FdPasser.Cli.Server;

/// <summary>
/// Serves one connection: reads requests until the client closes, answers each with a descriptor or an error
/// status, and logs one line per request. A request that cannot be read (too long, malformed, timed out, with
/// descriptors attached) is answered where possible and ends the connection. Both reading a request and sending
/// its answer are bounded by the request timeout, so a client can hold a connection only as long as it keeps
/// sending requests and taking answers.
/// </summary>
internal sealed class ClientConnection
{
    private readonly FdConnection _connection;
    private readonly FileOpener _opener;
    private readonly ServerOptions _options;
    private readonly ServerLog _log;
    private readonly PlatformConstants _abi;

    public ClientConnection(FdConnection connection, FileOpener opener, ServerOptions options, ServerLog log)
    {
        _connection = connection;
        _opener = opener;
        _options = options;
        _log = log;
        _abi = CliTarget.Current.Constants;
    }

    private PeerCredentials Peer => _connection.Peer;

    public async Task RunAsync(CancellationToken stop)
    {
        FdChannel channel = _connection.Channel;
        await using (channel.ConfigureAwait(false))
        {
            var reader = new RequestReader(channel);
            while (!stop.IsCancellationRequested)
            {
                byte[]? bytes;
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
                {
                    timeout.CancelAfter(_options.RequestTimeout);
                    try
                    {
                        bytes = await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                    {
                        _log.Peer(Peer, $"no complete request within {_options.RequestTimeout.TotalSeconds:0.#} s; closed the connection");
                        return;
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    catch (RequestException e)
                    {
                        await RefuseAsync(channel, null, new Refusal(_abi.EINVAL, e.Message)).ConfigureAwait(false);
                        return;
                    }
                    catch (FdProtocolException e)
                    {
                        await RefuseAsync(channel, null, new Refusal(_abi.EINVAL, "descriptors sent with a request are not accepted: " + e.Message)).ConfigureAwait(false);
                        return;
                    }
                    catch (FdPassingException e)
                    {
                        _log.Peer(Peer, "connection failed: " + e.Message);
                        return;
                    }
                }
                if (bytes is null)
                {
                    return;
                }
                if (!await AnswerAsync(channel, bytes).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Answers one request; false where the connection should end.</summary>
    private async Task<bool> AnswerAsync(FdChannel channel, byte[] bytes)
    {
        if (OpenRequest.TryParse(bytes, out string problem) is not { } request)
        {
            await RefuseAsync(channel, null, new Refusal(_abi.EINVAL, problem)).ConfigureAwait(false);
            return false;
        }
        SafeFileHandle? handle = _opener.Open(request, out Refusal refusal);
        if (handle is null)
        {
            return await RefuseAsync(channel, request, refusal).ConfigureAwait(false);
        }
        using (handle)
        {
            using var timeout = new CancellationTokenSource(_options.RequestTimeout);
            try
            {
                await channel.SendDescriptorAsync(handle, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _log.Peer(Peer, $"{Describe(request)}: opened, but the client {NotTaken}");
                return false;
            }
            catch (FdPassingException e)
            {
                _log.Peer(Peer, $"{Describe(request)}: opened, but passing it failed: {e.Message}");
                return false;
            }
            _log.Peer(Peer, $"{Describe(request)}: passed descriptor");
        }
        return true;
    }

    private async Task<bool> RefuseAsync(FdChannel channel, OpenRequest? request, Refusal refusal)
    {
        string what = request is { } r ? Describe(r) : "request";
        string errno = CliTarget.Current.ErrnoName(refusal.Errno) ?? "errno " + refusal.Errno;
        using var timeout = new CancellationTokenSource(_options.RequestTimeout);
        try
        {
            await channel.SendErrorAsync(refusal.Errno, refusal.Message, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _log.Peer(Peer, $"{what}: refused ({errno}: {refusal.Message}), but the client {NotTaken}");
            return false;
        }
        catch (FdPassingException e)
        {
            _log.Peer(Peer, $"{what}: refused ({errno}: {refusal.Message}), and sending the refusal failed: {e.Message}");
            return false;
        }
        _log.Peer(Peer, $"{what}: refused ({errno}: {refusal.Message})");
        return true;
    }

    /// <summary>
    /// Why a connection ends whose client sends requests but does not read the answers: once the socket buffer
    /// is full an answer would wait for ever, holding the connection and the opened file.
    /// </summary>
    private string NotTaken => $"did not take its answer within {_options.RequestTimeout.TotalSeconds:0.#} s; closed the connection";

    private string Describe(OpenRequest request) => $"open '{request.Path}' {OpenFlags.Describe(request.Flags, _abi)}";
}
