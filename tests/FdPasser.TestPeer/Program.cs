using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using FdPasser;
using Microsoft.Win32.SafeHandles;

// The other process of the cross-process tests: it picks up its end of a channel (an inherited descriptor or a
// named endpoint), does one thing with a passed descriptor, and reports on stdout.
internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            return args[0] switch
            {
                "pair-read" => ReadPassedFile(FdChannel.FromDescriptor(int.Parse(args[1]))),
                "endpoint-read" => ReadPassedFile(FdChannel.Connect(args[1])),
                "pair-write" => WritePassedFile(FdChannel.FromDescriptor(int.Parse(args[1])), args[2]),
                "pair-send" => SendFile(FdChannel.FromDescriptor(int.Parse(args[1])), args[2]),
                "tcp-accept" => AcceptOnPassedListener(FdChannel.FromDescriptor(int.Parse(args[1]))),
                _ => Fail("unknown mode " + args[0]),
            };
        }
        catch (Exception e)
        {
            return Fail(e.GetType().Name + ": " + e.Message);
        }
    }

    private static int ReadPassedFile(FdChannel channel)
    {
        using (channel)
        using (SafeFileHandle handle = channel.ReceiveDescriptor())
        using (FileStream stream = FdHandles.ToFileStream(handle))
        using (var reader = new StreamReader(stream))
        {
            Console.WriteLine("read: " + reader.ReadToEnd());
        }
        return 0;
    }

    private static int WritePassedFile(FdChannel channel, string text)
    {
        using (channel)
        using (SafeFileHandle handle = channel.ReceiveDescriptor())
        using (FileStream stream = FdHandles.ToFileStream(handle))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
        }
        Console.WriteLine("wrote");
        return 0;
    }

    private static int SendFile(FdChannel channel, string path)
    {
        using (channel)
        using (FileStream file = File.OpenRead(path))
        {
            channel.SendDescriptor(file);
            // Wait for the parent to close its end, so the descriptor is received before this process exits.
            channel.TryReceiveDescriptor(out _);
        }
        return 0;
    }

    private static int AcceptOnPassedListener(FdChannel channel)
    {
        using (channel)
        using (SafeFileHandle handle = channel.ReceiveDescriptor())
        using (Socket listener = FdHandles.ToSocket(handle))
        using (Socket client = listener.Accept())
        {
            client.Send(Encoding.UTF8.GetBytes("hello from pid " + Environment.ProcessId));
            client.Shutdown(SocketShutdown.Send);
        }
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("peer: " + message);
        return 2;
    }
}
