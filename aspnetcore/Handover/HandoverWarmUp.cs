using System;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Handover;

namespace FdPasser.AspNetCore.Handover;

/// <summary>
/// One handover of a single empty item within this process, right after start: each generation runs the
/// handover code once as receiver and once as sender, so without this both run cold (first-call JIT) while
/// parked connections wait for them. Failures are ignored: it only warms code.
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
                Task<bool> receiving = ReceiveAsync(receiver, cancellationToken);
                HandoverPrepared prepared = await sender.OfferAsync(new[] { new HandoverItem("warm-up", new byte[] { ConnectionState.Version }) }, cancellationToken).ConfigureAwait(false);
                _ = prepared.IsAccepted(0);
                await prepared.CommitAsync(cancellationToken).ConfigureAwait(false);
                await receiving.ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is HandoverAbortedException or OperationCanceledException or FdPassingException or InvalidOperationException or ArgumentException)
        {
        }
    }

    private static async Task<bool> ReceiveAsync(HandoverReceiver receiver, CancellationToken cancellationToken)
    {
        using HandoverOffer offer = await receiver.ReceiveOfferAsync(cancellationToken).ConfigureAwait(false);
        _ = ConnectionState.Decode(offer.Items[0].State.Span);
        return await offer.PrepareAsync(null, cancellationToken).ConfigureAwait(false);
    }
}
