using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Platform;

// Where socket connections come from: a pair, a connect to a path or an abstract name, an adopted handle or number.
internal sealed partial class SocketConnection
{
    /// <summary><c>socketpair(AF_UNIX, SOCK_STREAM)</c>, both ends close-on-exec.</summary>
    public static (SocketConnection First, SocketConnection Second) CreatePair()
    {
        SocketTransport t = Transports.Socket;
        t.CreatePair(out SafeSocketHandle a, out SafeSocketHandle b);
        return (new SocketConnection(t, a), new SocketConnection(t, b));
    }

    /// <summary>connect() to a path or an abstract name.</summary>
    public static SocketConnection Connect(string name, bool isAbstract)
    {
        SocketTransport t = Transports.Socket;
        if (isAbstract && !t.SupportsAbstractNames)
        {
            throw new PlatformNotSupportedException("Abstract socket names exist only on Linux.");
        }
        byte[] address = t.Address(name, isAbstract);
        SafeSocketHandle socket = t.CreateSocket();
        int errno = t.TryConnect(socket, address);
        if (errno != 0)
        {
            socket.Dispose();
            throw ConnectError(t, errno, name, isAbstract);
        }
        return new SocketConnection(t, socket);
    }

    /// <summary>
    /// A connect that does not block: a Unix socket connect completes at once unless the server's listen backlog is
    /// full; then it is retried with a growing delay (the kernel offers no readiness event to wait on).
    /// </summary>
    public static async ValueTask<SocketConnection> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        SocketTransport t = Transports.Socket;
        byte[] address = t.Address(path, isAbstract: false);
        SafeSocketHandle socket = t.CreateSocket();
        try
        {
            t.SetNonBlocking(socket);
            int delay = 1;
            while (true)
            {
                int errno = t.TryConnect(socket, address);
                if (errno == 0)
                {
                    return new SocketConnection(t, socket);
                }
                if (errno != t.Constants.EAGAIN)
                {
                    throw ConnectError(t, errno, path, isAbstract: false);
                }
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Math.Min(delay * 2, 100);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// connect() on a file that is not a socket answers ECONNREFUSED, as if a server had just gone: say what the path
    /// really is (FdListener.Create refuses such a path the same way).
    /// </summary>
    private static FdPassingException ConnectError(SocketTransport t, int errno, string name, bool isAbstract)
    {
        string context = $"connecting to the endpoint '{(isAbstract ? "@" : "")}{name}'";
        if (errno == t.Constants.ECONNREFUSED && !isAbstract)
        {
            bool? isSocket;
            try
            {
                isSocket = t.IsSocketFile(name);
            }
            catch (FdPassingException)
            {
                isSocket = null;
            }
            if (isSocket == false)
            {
                context += ", which is not a socket: nothing can listen there (check the path)";
            }
        }
        return t.Error("connect", errno, context);
    }

    /// <summary>Adopts a connected stream socket's handle, checking that it is one.</summary>
    public static SocketConnection Adopt(SafeSocketHandle handle, string parameter)
    {
        SocketTransport t = Transports.Socket;
        CheckStreamSocket(t, handle, parameter);
        return new SocketConnection(t, handle);
    }

    /// <summary>Adopts an inherited descriptor number that must be a stream socket, marking it close-on-exec again.</summary>
    public static SocketConnection AdoptDescriptor(int descriptor)
    {
        SocketTransport t = Transports.Socket;
        var handle = new SafeSocketHandle(descriptor, ownsHandle: false);
        CheckStreamSocket(t, handle, nameof(descriptor));
        var owned = new SafeSocketHandle(descriptor, ownsHandle: true);
        t.SetCloseOnExec(owned, true);
        return new SocketConnection(t, owned);
    }

    private static void CheckStreamSocket(SocketTransport t, SafeHandle handle, string parameter)
    {
        int type = t.GetSocketType(handle, out int errno);
        if (type < 0)
        {
            throw new ArgumentException(
                $"Descriptor {handle.DangerousGetHandle()} is not a usable socket: getsockopt(SO_TYPE) failed with {t.ErrnoName(errno) ?? errno.ToString()}.", parameter);
        }
        if (type != t.Constants.SOCK_STREAM)
        {
            throw new ArgumentException($"Descriptor {handle.DangerousGetHandle()} is a socket of type {type}, not a stream socket.", parameter);
        }
    }
}
