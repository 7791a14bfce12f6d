using System;
using System.IO;
using System.Text;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// The send path builds a message of a few descriptors in a fixed-size local and a larger one on the stack: every
/// count on both sides of that boundary must arrive complete and in order.
/// </summary>
public class SendMessageLayoutTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(13)]
    [InlineData(64)]
    public void Every_descriptor_of_a_raw_send_arrives_in_its_place(int count)
    {
        using var dir = new TempDir();
        var files = new SafeFileHandle[count];
        var received = new int[count + 1];
        int got = 0;
        var (a, b) = FdChannel.CreatePair();
        try
        {
            var numbers = new int[count];
            for (int i = 0; i < count; i++)
            {
                files[i] = File.OpenHandle(dir.WriteFile($"f{i}", $"file {i}"), FileMode.Open, FileAccess.Read);
                numbers[i] = (int)files[i].DangerousGetHandle();
            }
            a.SendRaw(new byte[] { 7, 8, 9 }, numbers);
            var data = new byte[8];
            int n = b.ReceiveRaw(data, received, out got);
            Assert.Equal(3, n);
            Assert.Equal(new byte[] { 7, 8, 9 }, data[..3]);
            Assert.Equal(count, got);
            for (int i = 0; i < got; i++)
            {
                using var handle = new SafeFileHandle(received[i], ownsHandle: true);
                received[i] = -1;
                using var stream = new FileStream(handle, FileAccess.Read);
                Assert.Equal($"file {i}", new StreamReader(stream, Encoding.UTF8).ReadToEnd());
            }
        }
        finally
        {
            for (int i = 0; i < got; i++)
            {
                if (received[i] >= 0)
                {
                    FdHandles.Close(received[i]);
                }
            }
            foreach (SafeFileHandle? f in files)
            {
                f?.Dispose();
            }
            a.Dispose();
            b.Dispose();
        }
    }
}
