using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

public class ExhaustionTests
{
    [Fact]
    public async Task A_receiver_at_its_descriptor_limit_reports_the_loss_leaks_nothing_and_recovers()
    {
        var (parent, childEnd) = FdChannel.CreatePair();
        using (parent)
        {
            childEnd.SetInheritable(true);
            // A child with a low RLIMIT_NOFILE: room for the runtime, little more.
            var child = Peers.Start("bash", new[] { "-c", "ulimit -n 256 && exec \"$@\"", "bash" }
                .Concat(Peers.TestPeerCommand).Concat(new[] { "exhaust", childEnd.Descriptor.ToString() }).ToArray());
            childEnd.Dispose();
            using SafeFileHandle devNull = File.OpenHandle("/dev/null");
            var ten = new SafeHandle[10];
            Array.Fill(ten, devNull);
            using (FdMessage ready = await parent.ReceiveRawAsync(1, 0, TestContext.Current.CancellationToken))
            {
                Assert.Equal(1, ready.Payload.Span[0]);
            }
            parent.SendFrame("ten"u8, ten);
            using (FdMessage again = await parent.ReceiveRawAsync(1, 0, TestContext.Current.CancellationToken))
            {
                Assert.Equal(2, again.Payload.Span[0]);
            }
            parent.SendFrame("ten"u8, ten);
            var (exit, stdout, stderr) = await Peers.FinishAsync(child);
            Assert.True(exit == 0, stderr + stdout);
            Assert.Contains("lost: closed=", stdout);
            Assert.Contains("broken=False leaked=0", stdout);
            Assert.Contains("MSG_CTRUNC", stdout);
            Assert.Contains("recovered: 10", stdout);
        }
    }
}
