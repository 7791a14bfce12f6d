// Passes descriptors between two processes with the FdPasser package:
// the parent makes a connected pair, starts itself as the child with one end inherited, and sends an open file;
// the child reads it through the received descriptor and sends back a file of its own, which the parent reads.
using System.Diagnostics;
using FdPasser;
using Microsoft.Win32.SafeHandles;

return args is ["child", var descriptor] ? Child(int.Parse(descriptor)) : Parent();

static int Parent()
{
    string path = Path.Combine(Path.GetTempPath(), $"fdpasser-consumer-{Environment.ProcessId}.txt");
    string text = $"hello from process {Environment.ProcessId}";
    File.WriteAllText(path, text);
    try
    {
        var (parent, child) = FdChannel.CreatePair();
        using (parent)
        {
            parent.Timeout = TimeSpan.FromSeconds(30);
            child.SetInheritable(true);
            using Process process = Process.Start(ChildStartInfo(child.Descriptor))!;
            child.Dispose();

            using (FileStream file = File.OpenRead(path))
            {
                parent.SendDescriptor(file);
            }
            Console.WriteLine($"parent: sent the descriptor of {path} to child process {process.Id}");

            using SafeFileHandle reply = parent.ReceiveDescriptor();
            using FileStream replyStream = FdHandles.ToFileStream(reply);
            replyStream.Position = 0;
            string answer = new StreamReader(replyStream).ReadToEnd();
            Console.WriteLine($"parent: received a descriptor from the child, it reads \"{answer}\"");

            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Console.WriteLine($"parent: the child exited {process.ExitCode}");
                return 1;
            }
            if (answer != $"child read \"{text}\"")
            {
                Console.WriteLine("parent: unexpected answer");
                return 1;
            }
        }
        Console.WriteLine("consumer: descriptors passed both ways");
        return 0;
    }
    finally
    {
        File.Delete(path);
    }
}

static int Child(int descriptor)
{
    using FdChannel channel = FdChannel.FromDescriptor(descriptor);
    channel.Timeout = TimeSpan.FromSeconds(30);
    string text;
    using (SafeFileHandle handle = channel.ReceiveDescriptor())
    using (FileStream stream = FdHandles.ToFileStream(handle))
    {
        text = new StreamReader(stream).ReadToEnd();
    }
    Console.WriteLine($"child: read \"{text}\" through the received descriptor");

    // An unlinked scratch file: only the descriptor keeps it, and passing the descriptor passes the file.
    string path = Path.Combine(Path.GetTempPath(), $"fdpasser-consumer-reply-{Environment.ProcessId}.txt");
    using FileStream reply = new(path, FileMode.CreateNew, FileAccess.ReadWrite);
    File.Delete(path);
    using (StreamWriter writer = new(reply, leaveOpen: true))
    {
        writer.Write($"child read \"{text}\"");
    }
    channel.SendDescriptor(reply);
    return 0;
}

// The JIT build may run under the dotnet host; the child then needs the assembly path too.
static ProcessStartInfo ChildStartInfo(int descriptor)
{
    string self = Environment.ProcessPath!;
    var info = new ProcessStartInfo(self) { UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet")
    {
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "FdPasser.Consumer.dll"));
    }
    info.ArgumentList.Add("child");
    info.ArgumentList.Add(descriptor.ToString());
    return info;
}
