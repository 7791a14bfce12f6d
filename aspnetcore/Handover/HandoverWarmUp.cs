using System;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Handover;

namespace FdPasser.AspNetCore.Handover;

/// <summary>
/// One handover within this process, right after start, in the shape the drain uses (HELLO first, then two offers
/// of one empty item): each generation runs the handover code once as receiver and once as sender, so without this
/// both run cold (first-call JIT) while parked connections wait for them. Failures are ignored: it only warms code.
/// </summary>
internal static class HandoverWarmUp
{
    public static async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            (HandoverSender sender, HandoverReceiver receiver) = HandoverSender.CreatePair();
            using (sender)
            using (receiver)
            {
                Task<int> receiving = ReceiveAsync(receiver, cancellationToken);
                await sender.NegotiateAsync(cancellationToken).ConfigureAwait(false);
                for (int offers = sender.SupportsSeveralOffers ? 2 : 1; offers > 0; offers--)
                {
                    HandoverPrepared prepared = await sender.OfferAsync(new[] { new HandoverItem("warm-up", new byte[] { ConnectionState.Version }) }, cancellationToken).ConfigureAwait(false);
                    _ = prepared.IsAccepted(0);
                    if (!await prepared.CommitAsync(cancellationToken).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                sender.Dispose();
                await receiving.ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is HandoverAbortedException or OperationCanceledException or FdPassingException or InvalidOperationException or ArgumentException)
        {
        }
    }

    private static async Task<int> ReceiveAsync(HandoverReceiver receiver, CancellationToken cancellationToken)
    {
        int committed = 0;
        while (await receiver.ReceiveNextOfferAsync(cancellationToken).ConfigureAwait(false) is { } offer)
        {
            using (offer)
            {
                _ = ConnectionState.Decode(offer.Items[0].State.Span);
                committed += await offer.PrepareAsync(null, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }
        }
        return committed;
    }
}
