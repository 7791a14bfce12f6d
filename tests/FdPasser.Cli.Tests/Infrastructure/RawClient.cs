using System;
using System.IO;
using System.Text;
using FdPasser.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Cli.Tests.Infrastructure;

/// <summary>A hand-made client of fdpass serve over a raw socket: it sends exactly the bytes a test chooses.</summary>
internal static class RawClient
{
    public static FdChannel Connect(string endpoint)
    {
        FdChannel channel = FdChannel.Connect(endpoint);
        channel.Timeout = TestTiming.Seconds(15);
        return channel;
    }

    /// <summary>A well-formed request on a connection of its own; the served file's text.</summary>
    public static string Fetch(string endpoint, string path)
    {
        using FdChannel channel = Connect(endpoint);
        return Fetch(channel, path);
    }

    public static string Fetch(FdChannel channel, string path)
    {
        channel.SendRaw(Encoding.UTF8.GetBytes($"open {path} 0\0"), ReadOnlySpan<int>.Empty);
        using FileStream stream = FdHandles.ToFileStream(channel.ReceiveDescriptor());
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Sends <paramref name="request"/> as it is and expects a refusal.</summary>
    public static FdPeerErrorException Refusal(string endpoint, byte[] request)
    {
        using FdChannel channel = Connect(endpoint);
        channel.SendRaw(request, ReadOnlySpan<int>.Empty);
        return Assert.Throws<FdPeerErrorException>(() => channel.ReceiveDescriptor());
    }

    /// <summary>True where the server has closed the connection: the next receive sees end of stream (waits up to the channel's timeout).</summary>
    public static bool ClosedByServer(FdChannel channel)
    {
        try
        {
            using FdMessage message = channel.ReceiveRaw(4096, 0);
            return message.Payload.Length == 0;
        }
        catch (FdPassingException)
        {
            return true; // ECONNRESET: the server closed with our bytes unread
        }
    }

    /// <summary>Reads a received descriptor's text from its start.</summary>
    public static string ReadAll(SafeFileHandle handle)
    {
        var buffer = new byte[256];
        int n = RandomAccess.Read(handle, buffer, 0);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }
}
