using System;
using System.Linq;
using FdPasser.AspNetCore.Draining;
using FdPasser.AspNetCore.Handover;
using FdPasser.AspNetCore.Transport;
using FdPasser.Systemd;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace FdPasser.AspNetCore;

/// <summary>Registration of the service manager support: inherited descriptors, notifications, store, handoff.</summary>
public static class ServiceManagerServiceCollectionExtensions
{
    /// <summary>
    /// Adds: the descriptors passed at start (taken once, owned for the life of the host); READY=1 with STATUS=
    /// once the host has started, STOPPING=1 on stop (and MAINPID= where the descriptors were a launcher's);
    /// <see cref="ServiceDescriptorStore"/>; and the handoff on stop — inherited listeners stop accepting, and
    /// Kestrel stops only once every accepted connection has begun a request (or
    /// <see cref="ServiceManagerOptions.DrainTimeout"/> passed). Without a service manager it all does nothing.
    /// </summary>
    public static IServiceCollection AddServiceManager(this IServiceCollection services, Action<ServiceManagerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }
        else
        {
            services.AddOptions<ServiceManagerOptions>();
        }
        services.TryAddSingleton<InheritedDescriptors>();
        services.TryAddSingleton<IListenerNames>(provider => provider.GetRequiredService<InheritedDescriptors>());
        services.TryAddSingleton(_ => ServiceNotifier.FromEnvironment(unsetEnvironment: true));
        services.TryAddSingleton(provider => new ServiceDescriptorStore(
            provider.GetRequiredService<InheritedDescriptors>(), provider.GetRequiredService<ServiceNotifier>()));
        if (services.Any(s => s.ServiceType == typeof(ConnectionDrain)))
        {
            return services;
        }
        services.AddSingleton<ConnectionDrain>();
        services.TryAddSingleton<SocketTransportFactory>();
        services.TryAddSingleton<HandoverChannel>();
        services.AddSingleton<ConnectionHandoverSettings>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<OwnedSocketTransportFactory>();
        services.AddSingleton<ConnectionHandover>();
        services.AddSingleton<ConnectionAdoption>();
        // Kestrel tries the factory registered last first; this one binds only descriptor endpoints.
        services.AddSingleton<IConnectionListenerFactory, DrainingListenerFactory>();
        services.AddSingleton<IStartupFilter, RequestBegunStartupFilter>();
        services.AddHostedService<ServiceManagerLifetime>();
        return services;
    }

    /// <summary>
    /// <see cref="AddServiceManager"/>, and Kestrel listening on the inherited listeners named
    /// <paramref name="names"/> (every listening socket passed when none is named). Without a service manager
    /// (<c>dotnet run</c>, F5), Kestrel serves on its configured URLs with one warning; the overload taking
    /// <see cref="InheritedListenerOptions"/> can make that an error.
    /// </summary>
    public static IWebHostBuilder UseInheritedListeners(this IWebHostBuilder builder, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(names);
        builder.ConfigureServices(services => services.AddServiceManager());
        return builder.ConfigureKestrel(kestrel => kestrel.ListenInherited(names, null));
    }

    /// <summary>
    /// <see cref="AddServiceManager"/>, and Kestrel listening on the inherited listeners
    /// <paramref name="configure"/> chooses (see <see cref="InheritedListenerOptions"/>: names, whether a missing
    /// service manager is an error, a per-listener callback).
    /// </summary>
    public static IWebHostBuilder UseInheritedListeners(this IWebHostBuilder builder, Action<InheritedListenerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var listeners = new InheritedListenerOptions();
        configure(listeners);
        builder.ConfigureServices(services => services.AddServiceManager());
        return builder.ConfigureKestrel(kestrel => kestrel.ListenInherited(listeners));
    }
}
