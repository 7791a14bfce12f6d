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
                "exhaust" => ReceiveAtTheDescriptorLimit(FdChannel.FromDescriptor(int.Parse(args[1]))),
                "listen-report" => Activation.Report(),
                "listen-overcount" => Activation.ReportOvercount(),
                "listen-serve" => Activation.Serve(args[1]),
                "notify" => Activation.Notify(args[1]),
                "handover-receive" => Handover.Receive(dieBeforePrepare: false),
                "handover-die" => Handover.Receive(dieBeforePrepare: true),
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

    /// <summary>
    /// Runs out of descriptors but a few, receives a frame carrying more than fit (the kernel installs what it can
    /// and reports MSG_CTRUNC), then frees its descriptors and receives again on the same channel.
    /// </summary>
    private static int ReceiveAtTheDescriptorLimit(FdChannel channel)
    {
        using (channel)
        {
            WarmUp();
            var filler = new System.Collections.Generic.List<SafeFileHandle>();
            try
            {
                while (true)
                {
                    filler.Add(File.OpenHandle("/dev/null"));
                }
            }
            catch (IOException)
            {
            }
            for (int i = 0; i < 3; i++)
            {
                filler[^1].Dispose();
                filler.RemoveAt(filler.Count - 1);
            }
            int open = System.IO.Directory.GetFiles("/proc/self/fd").Length;
            channel.SendRaw(new byte[] { 1 }, ReadOnlySpan<int>.Empty);
            try
            {
                using FdMessage unexpected = channel.ReceiveFrame();
                return Fail($"received {unexpected.DescriptorCount} descriptors at the limit");
            }
            catch (FdProtocolException e)
            {
                int after = System.IO.Directory.GetFiles("/proc/self/fd").Length;
                Console.WriteLine($"lost: closed={e.DescriptorsClosed} broken={e.ChannelBroken} leaked={after - open} message={e.Message}");
            }
            filler.ForEach(h => h.Dispose());
            channel.SendRaw(new byte[] { 2 }, ReadOnlySpan<int>.Empty);
            using FdMessage message = channel.ReceiveFrame();
            Console.WriteLine($"recovered: {message.DescriptorCount}");
        }
        return 0;
    }

    /// <summary>Loads, before descriptors run out, every assembly the receive and its error path need.</summary>
    private static void WarmUp()
    {
        Console.WriteLine("warming up");
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            a.SendFrame("w"u8, new System.Runtime.InteropServices.SafeHandle[] { devNull });
            b.ReceiveFrame().Dispose();
            a.SendRaw(new byte[] { (byte)'F', (byte)'D', 1, 0, 1, 0, 0, 0, 0, 0 }, ReadOnlySpan<int>.Empty);
            try
            {
                b.ReceiveFrame().Dispose();
            }
            catch (FdProtocolException e)
            {
                Console.WriteLine($"warm: {e.DescriptorsClosed} {e.ChannelBroken} {e.Message.Length}");
            }
            // A receive that has to wait makes the transport's wake-up pair, which stays for the process's life.
            b.Timeout = TimeSpan.FromMilliseconds(1);
            try
            {
                b.ReceiveFrame().Dispose();
            }
            catch (TimeoutException)
            {
            }
        }
        _ = System.IO.Directory.GetFiles("/proc/self/fd").Length;
        try
        {
            File.OpenHandle("/nonexistent/x").Dispose();
        }
        catch (IOException)
        {
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("peer: " + message);
        return 2;
    }
}
