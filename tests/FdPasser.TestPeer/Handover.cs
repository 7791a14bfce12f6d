using System;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using FdPasser;
using FdPasser.Handover;
using Microsoft.Win32.SafeHandles;

/// <summary>
/// The new generation of the cross-process handover tests: takes its link from FDPASS_HANDOVER_FD, receives the
/// offer of the first predecessor introduced, and either takes it (then answers on the handed socket with the
/// item's state) or dies before preparing.
/// </summary>
internal static class Handover
{
    public static int Receive(bool dieBeforePrepare) => ReceiveAsync(dieBeforePrepare).GetAwaiter().GetResult();

    private static async Task<int> ReceiveAsync(bool dieBeforePrepare)
    {
        using HandoverLink? link = HandoverLink.FromEnvironment();
        if (link is null)
        {
            Console.Error.WriteLine("no handover link in " + HandoverLink.EnvironmentVariable);
            return 2;
        }
        if (Environment.GetEnvironmentVariable(HandoverLink.EnvironmentVariable) is not null)
        {
            Console.Error.WriteLine("the variable was left for children");
            return 2;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (HandoverReceiver receiver in link.ReceivePredecessorsAsync(timeout.Token))
        {
            using (receiver)
            using (HandoverOffer offer = await receiver.ReceiveOfferAsync(timeout.Token))
            {
                if (dieBeforePrepare)
                {
                    Console.WriteLine("dying with the offer");
                    Console.Out.Flush();
                    Environment.Exit(3);
                }
                ReceivedHandoverItem item = offer.Items[0];
                using SafeFileHandle handle = item.TakeDescriptor(0);
                if (!await offer.PrepareAsync(cancellationToken: timeout.Token))
                {
                    Console.WriteLine("not committed");
                    return 1;
                }
                using Socket socket = FdHandles.ToSocket(handle);
                string state = Encoding.UTF8.GetString(item.State.Span);
                socket.Send(Encoding.UTF8.GetBytes($"{item.Name} from generation {receiver.PeerGeneration}: {state}\n"));
                Console.WriteLine("committed");
                return 0;
            }
        }
        Console.Error.WriteLine("the link closed before any predecessor was introduced");
        return 1;
    }
}
