using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.AspNetCore.Transport;

namespace FdPasser.AspNetCore.Handover;

/// <summary>
/// One GET through this generation's own Kestrel before READY=1: a loopback connection of its own (a private
/// ephemeral listener, closed at once) is given to an inherited listener as a handed-over connection would be, so
/// the request path is compiled before the predecessor's parked connections arrive. Failures are ignored: it only
/// warms code.
/// </summary>
internal static class RequestWarmUp
{
    /// <summary>The longest the start waits for the answer.</summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(ConnectionRegistry registry, string path, CancellationToken cancellationToken)
    {
        if (registry.AnyListener() is not { } listener)
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        Socket? server = null;
        try
        {
            using var privateListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            privateListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            privateListener.Listen(1);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(privateListener.LocalEndPoint!, timeout.Token).ConfigureAwait(false);
            server = await privateListener.AcceptAsync(timeout.Token).ConfigureAwait(false);
            if (!listener.Adopt(server, Array.Empty<byte>()))
            {
                return;
            }
            server = null; // the connection owns it now
            byte[] request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            await client.SendAsync(request, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            byte[] buffer = new byte[4096];
            while (await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            server?.Dispose();
        }
    }
}
