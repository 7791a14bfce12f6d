using System.IO;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Support;

/// <summary>
/// Brings up the process-wide machinery that owns descriptors for the life of the process (the runtime's socket
/// engine, the readiness poller), so descriptor counts taken afterwards see only what a test itself leaks.
/// </summary>
internal static class Warm
{
    private static Task? s_done;

    public static Task UpAsync() => s_done ??= RunAsync();

    private static async Task RunAsync()
    {
        // The socket engine starts its event loops (each with descriptors of its own) as sockets register: register
        // more sockets than it will ever start loops.
        for (int i = 0; i < 4 * System.Environment.ProcessorCount; i++)
        {
            var (a, b) = FdChannel.CreatePair();
            using (a)
            using (b)
            using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
            {
                var pending = b.ReceiveDescriptorAsync();
                await Task.Delay(1);
                await a.SendDescriptorAsync(devNull);
                (await pending).Dispose();
            }
        }
        // A blocking wait makes the transport's wake-up pair (kept for the process's life); the first caught exception
        // makes the runtime open what it keeps for exception handling (a pipe on linux-arm64).
        var (c, d) = FdChannel.CreatePair();
        using (c)
        using (d)
        {
            d.Timeout = System.TimeSpan.FromMilliseconds(1);
            try
            {
                d.ReceiveRaw(1).Dispose();
            }
            catch (System.TimeoutException)
            {
            }
        }
        using var dir = new TempDir();
        using FdListener listener = FdListener.Create(dir.File("warm"));
        var accept = listener.AcceptAsync();
        await Task.Delay(10);
        using FdChannel client = FdChannel.Connect(dir.File("warm"));
        (await accept).Channel.Dispose();
    }
}
