using System;
using System.IO;
using System.Threading.Tasks;
using FdPasser.AspNetCore.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace FdPasser.AspNetCore.Draining;

/// <summary>
/// Puts first in the request pipeline the step that tells the drain about each request: that the connection's
/// first request has begun, whether it is plain HTTP/1.1, and, on this package's transport, where a request
/// ends in the connection's bytes (the boundary at which a connection can be handed over).
/// </summary>
internal sealed class RequestBegunStartupFilter : IStartupFilter
{
    private readonly ConnectionDrain _drain;

    private readonly Func<object, Task> _closeIfClosing;

    public RequestBegunStartupFilter(ConnectionDrain drain)
    {
        _drain = drain;
        _closeIfClosing = CloseIfClosing;
    }

    /// <summary>
    /// As the response's headers go out: where the drain has begun closing meanwhile, they say Connection: close, so
    /// the connection ends after this response with its client told. (Once headers are out nothing can tell the
    /// client any more: the drain leaves such a connection open, and its next request gets the header.)
    /// </summary>
    private Task CloseIfClosing(object state)
    {
        if (_drain.IsClosing)
        {
            ((HttpContext)state).Response.Headers.Connection = "close";
        }
        return Task.CompletedTask;
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextStep) => RunAsync(context, nextStep));
        next(app);
    };

    private Task RunAsync(HttpContext context, RequestDelegate next)
    {
        _drain.RequestBegun(context.Connection.Id);
        TrackedConnection? tracked = context.Features.Get<TrackedConnection>();
        if (tracked is null)
        {
            return next(context);
        }
        bool plain = IsPlainHttp11(context);
        if (_drain.IsClosing)
        {
            // Draining with no successor for this connection: the client learns before its next request.
            context.Response.Headers.Connection = "close";
        }
        else if (plain)
        {
            context.Response.OnStarting(_closeIfClosing, context);
        }
        tracked.RequestSeen(plain);
        OwnedSocketConnection? owned = context.Features.Get<OwnedSocketConnection>();
        return owned is null ? next(context) : RunOwnedAsync(context, next, owned, plain);
    }

    private static async Task RunOwnedAsync(HttpContext context, RequestDelegate next, OwnedSocketConnection owned, bool plain)
    {
        owned.RequestBegun(plain);
        bool boundary = false;
        try
        {
            await next(context).ConfigureAwait(false);
            if (plain && !context.RequestAborted.IsCancellationRequested && !ClosesConnection(context.Response.Headers))
            {
                boundary = await FinishAsync(context).ConfigureAwait(false);
            }
        }
        finally
        {
            owned.RequestEnded(boundary);
        }
    }

    /// <summary>
    /// Reads what is left of the request body (Kestrel would, right after the app), so that when the request is
    /// counted as ended its bytes are consumed: the position Kestrel has consumed is then where the next request
    /// starts. (The end of the response Kestrel writes after the app; the park waits for it to be sent.)
    /// </summary>
    private static ValueTask<bool> FinishAsync(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true ? DrainBodyAsync(context) : new ValueTask<bool>(true);

    private static async ValueTask<bool> DrainBodyAsync(HttpContext context)
    {
        try
        {
            if (!context.Response.HasStarted)
            {
                // As Kestrel: the response starts before the rest of the body is read, so no 100 Continue is sent.
                await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
            }
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException or InvalidOperationException)
        {
            return false; // Kestrel ends the connection or decides on it: no boundary here
        }
    }

    private static bool IsPlainHttp11(HttpContext context) =>
        !context.Request.IsHttps
        && HttpProtocol.IsHttp11(context.Request.Protocol)
        && context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest != true
        && !ClosesConnection(context.Request.Headers);

    private static bool ClosesConnection(IHeaderDictionary headers) =>
        headers.Connection.ToString().Contains("close", StringComparison.OrdinalIgnoreCase);
}
