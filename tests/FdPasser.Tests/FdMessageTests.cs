using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// A received message owns its descriptors until each is taken: what is not taken is closed by Dispose, or by the
/// finalizer of a message nobody disposed, and a take racing Dispose hands a descriptor to exactly one of them.
/// Every check reads the descriptor table through a file with a name of its own.
/// </summary>
public class FdMessageTests
{
    private static FdMessage ReceiveMarked(FdChannel sender, FdChannel receiver, MarkedFile file, int count)
    {
        SendMarked(sender, file, count);
        return receiver.ReceiveFrame();
    }

    [Fact]
    public void Dispose_closes_the_descriptors_not_taken_and_leaves_the_taken_one_open()
    {
        using var file = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            FdMessage m = ReceiveMarked(a, b, file, 3);
            Assert.Equal(3, file.OpenCount());
            using SafeFileHandle taken = m.TakeDescriptor(1);
            m.Dispose();
            Assert.Equal(new[] { (int)taken.DangerousGetHandle() }, file.OpenDescriptors());
            Assert.Equal(file.Path, ProcFs.Target(taken));
        }
        Assert.Equal(0, file.OpenCount());
    }

    [Fact]
    public void Taking_from_a_disposed_message_throws_ObjectDisposedException()
    {
        using var file = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            FdMessage m = ReceiveMarked(a, b, file, 2);
            m.Dispose();
            Assert.Throws<ObjectDisposedException>(() => m.TakeDescriptor(0));
            Assert.Throws<ObjectDisposedException>(() => m.TakeAllDescriptors());
            Assert.Equal(2, m.DescriptorCount);
            Assert.Equal(0, file.OpenCount());
        }
    }

    [Fact]
    public void A_descriptor_is_taken_once_and_TakeAllDescriptors_returns_the_rest_in_order()
    {
        using var file = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (FdMessage m = ReceiveMarked(a, b, file, 3))
        {
            using SafeFileHandle first = m.TakeDescriptor(0);
            Assert.Throws<InvalidOperationException>(() => m.TakeDescriptor(0));
            Assert.Throws<ArgumentOutOfRangeException>(() => m.TakeDescriptor(3));
            SafeFileHandle[] rest = m.TakeAllDescriptors();
            Assert.Equal(2, rest.Length);
            Assert.True((int)rest[0].DangerousGetHandle() < (int)rest[1].DangerousGetHandle());
            Assert.Empty(m.TakeAllDescriptors());
            Assert.Equal(3, file.OpenCount());
            Array.ForEach(rest, h => h.Dispose());
        }
        Assert.Equal(0, file.OpenCount());
    }

    [Fact]
    public void A_disposed_message_cannot_reach_the_descriptors_of_the_next_message_of_its_channel()
    {
        using var first = new MarkedFile();
        using var second = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            FdMessage old = ReceiveMarked(a, b, first, 2);
            old.Dispose();
            using FdMessage next = ReceiveMarked(a, b, second, 2);
            Assert.Throws<ObjectDisposedException>(() => old.TakeDescriptor(0));
            Assert.Throws<ObjectDisposedException>(() => old.TakeAllDescriptors());
            old.Dispose();
            Assert.Equal(0, first.OpenCount());
            Assert.Equal(2, second.OpenCount());
            using SafeFileHandle taken = next.TakeDescriptor(0);
            Assert.Equal(second.Path, ProcFs.Target(taken));
        }
        Assert.Equal(0, second.OpenCount());
    }

    [Fact]
    public void The_descriptors_of_a_forgotten_message_are_closed_by_its_finalizer()
    {
        using var file = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            ReceiveAndForget(a, b, file, 4);
            Assert.Equal(4, file.OpenCount());
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.Equal(0, file.OpenCount());
        }
    }

    // Not inlined, so that no local of the test keeps the message reachable.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReceiveAndForget(FdChannel sender, FdChannel receiver, MarkedFile file, int count) =>
        Assert.Equal(count, ReceiveMarked(sender, receiver, file, count).DescriptorCount);

    [Fact]
    public async Task A_take_racing_Dispose_hands_each_descriptor_to_exactly_one_of_them()
    {
        // Each round the other thread disposes the message and at once receives the next on the same channel, which
        // reuses what the disposed one held: a late take must neither get a number Dispose closed nor one of the next
        // message's.
        const int Rounds = 10_000;
        using var file = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            FdMessage message = ReceiveMarked(a, b, file, 2);
            FdMessage? next = null;
            using var start = new Barrier(2);
            var disposer = Task.Factory.StartNew(() =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    start.SignalAndWait(TestContext.Current.CancellationToken);
                    message.Dispose();
                    next = b.ReceiveFrame();
                    start.SignalAndWait(TestContext.Current.CancellationToken);
                }
            }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            try
            {
                for (int i = 0; i < Rounds; i++)
                {
                    SendMarked(a, file, 2);
                    start.SignalAndWait(TestContext.Current.CancellationToken);
                    SafeFileHandle[] got;
                    try
                    {
                        got = (i & 1) == 0 ? new[] { message.TakeDescriptor(1) } : message.TakeAllDescriptors();
                    }
                    catch (ObjectDisposedException)
                    {
                        got = Array.Empty<SafeFileHandle>();
                    }
                    start.SignalAndWait(TestContext.Current.CancellationToken);
                    // Dispose has returned and the next message arrived: what is open is exactly what was taken and
                    // the next message's two, and every taken handle still refers to the file (a number Dispose
                    // closed as well would be gone or reused by now).
                    Assert.Equal(got.Length + 2, file.OpenCount());
                    foreach (SafeFileHandle h in got)
                    {
                        Assert.Equal(file.Path, ProcFs.Target(h));
                        h.Dispose();
                    }
                    message = next!;
                    Assert.Equal(2, message.DescriptorCount);
                    Assert.Equal(2, file.OpenCount());
                }
            }
            catch
            {
                // Let the other thread run its rounds alone and end.
                start.RemoveParticipant();
                throw;
            }
            await disposer;
            message.Dispose();
        }
        Assert.Equal(0, file.OpenCount());
    }

    private static void SendMarked(FdChannel sender, MarkedFile file, int count)
    {
        using SafeFileHandle handle = file.Open();
        var handles = new SafeHandle[count];
        Array.Fill(handles, handle);
        sender.SendFrame("m"u8, handles);
    }
}
