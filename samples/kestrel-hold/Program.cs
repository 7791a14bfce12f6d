// A minimal API that restarts without dropping a request under fdpass hold or systemd (see README.md).
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FdPasser;
using FdPasser.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

// --no-handover: keep-alive connections are not handed to the next generation (Kestrel's own socket transport).
bool handOver = !args.Contains("--no-handover");
// --no-warm-up: no GET / through this generation's own pipeline before READY=1 (for bench/kestrel's comparison).
bool warmUp = !args.Contains("--no-warm-up");
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args.Where(a => a is not ("--no-handover" or "--no-warm-up")).ToArray());
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning); // no line per request
// Under `dotnet run` the app is the child of the process the descriptors were passed to.
builder.Services.AddServiceManager(o =>
{
    o.AcceptParentListenPid = true;
    o.HandOverConnections = handOver;
    o.WarmUpPath = warmUp ? "/" : null;
});
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenInherited("web"));
WebApplication app = builder.Build();

long generation = CountGeneration(app.Services.GetRequiredService<ServiceDescriptorStore>());
string answer = $"gen {generation} pid {Environment.ProcessId} conn-requests ";
// The count of requests this generation served on the client's connection: one that survived a reload answers
// the next generation's number without the client having reconnected.
app.MapGet("/", (HttpContext context) => answer + CountRequest(context));
app.MapPost("/", async (HttpContext context) =>
{
    long length = 0;
    byte[] buffer = new byte[4096];
    int n;
    while ((n = await context.Request.Body.ReadAsync(buffer)) > 0)
    {
        length += n;
    }
    return answer + CountRequest(context) + " body " + length;
});
app.Run();

static long CountRequest(HttpContext context)
{
    IDictionary<object, object?> items = context.Features.Get<IConnectionItemsFeature>()!.Items;
    long count = items.TryGetValue(typeof(Program), out object? n) ? (long)n! + 1 : 1;
    items[typeof(Program)] = count;
    return count;
}

// The generation number lives in an 8-byte memory file the service manager keeps for us under "generation".
static long CountGeneration(ServiceDescriptorStore store)
{
    byte[] bytes = new byte[8];
    SafeFileHandle state = store.Take("generation") ?? AnonymousMemory.Create("generation", bytes.Length);
    using (state)
    {
        long previous = RandomAccess.Read(state, bytes, 0) == bytes.Length ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : 0;
        BinaryPrimitives.WriteInt64LittleEndian(bytes, previous + 1);
        RandomAccess.Write(state, bytes, 0);
        store.Store("generation", state); // the same file each time: the manager keeps it once
        return previous + 1;
    }
}
