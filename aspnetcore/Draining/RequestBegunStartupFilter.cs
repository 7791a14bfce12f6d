using System;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace FdPasser.AspNetCore.Draining;

/// <summary>Puts first in the request pipeline the step that tells the drain a connection's request has begun.</summary>
internal sealed class RequestBegunStartupFilter : IStartupFilter
{
    private readonly ConnectionDrain _drain;

    public RequestBegunStartupFilter(ConnectionDrain drain) => _drain = drain;

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextStep) =>
        {
            _drain.RequestBegun(context.Connection.Id);
            return nextStep(context);
        });
        next(app);
    };
}
