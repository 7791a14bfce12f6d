using System;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// The raw span receive goes through the channel's descriptor owner and the control-message walker and still
/// allocates nothing per message (the owner is the channel's, the walker a ref struct over the stack buffer). The async
/// pass is checked in bench/ (compare.sh's allocation column), in a Release build: a Debug build's async methods are
/// classes.
/// </summary>
public sealed class RawAllocationTests
{
    private const int Messages = 2000;

    [Fact]
    public void A_raw_pass_with_a_descriptor_allocates_nothing_per_message() =>
        AssertNoAllocation("raw passes", static (b, buffer, received) => (b.ReceiveRaw(buffer, received, out int count), count));

    /// <summary>One byte and one descriptor from one end of a pair, <paramref name="receive"/> at the other, the number closed.</summary>
    private static void AssertNoAllocation(string what, Func<FdChannel, byte[], int[], (int Bytes, int Count)> receive)
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle file = File.OpenHandle(typeof(RawAllocationTests).Assembly.Location))
        {
            int[] send = [(int)file.DangerousGetHandle()];
            byte[] payload = [42];
            byte[] buffer = new byte[16];
            int[] received = new int[4];
            int wrong = 0;
            void Pass()
            {
                a.SendRaw(payload, send);
                var (n, count) = receive(b, buffer, received);
                wrong += n == 1 && count == 1 ? 0 : 1; // counted, not asserted: an assertion may allocate
                FdHandles.Close(received[0]);
            }

            for (int i = 0; i < 200; i++)
            {
                Pass(); // first calls: statics, the runtime's own lazy state
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Messages; i++)
            {
                Pass();
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, wrong);
            Assert.True(allocated == 0, $"{Messages} {what} allocated {allocated} bytes ({(double)allocated / Messages:F1} per message)");
        }
    }
}
