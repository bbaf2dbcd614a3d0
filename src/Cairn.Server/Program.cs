using Cairn.Server;

await CairnServer.Build(args).RunAsync();
