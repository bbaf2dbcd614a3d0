using System.Reflection;

namespace Cairn.Tests.Api;

/// <summary>
/// scripts/test leaves classes marked <c>[Trait("Store", "none")]</c> out of the PostgreSQL pass. A class so marked
/// that starts a server or opens the test backend would silently never run on PostgreSQL.
/// </summary>
public sealed class StoreTraitTests
{
    private static readonly Type[] StoreTypes = [typeof(CairnApp), typeof(KestrelApp)];

    [Fact]
    public void No_class_marked_store_none_takes_a_server_or_a_store_as_its_fixture()
    {
        var marked = typeof(StoreTraitTests).Assembly.GetTypes().Where(IsMarkedStoreNone).ToList();
        Assert.NotEmpty(marked);
        var offenders = marked
            .Where(t => FixtureTypes(t).Any(f => StoreTypes.Any(s => s.IsAssignableFrom(f))))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(offenders);
    }

    private static bool IsMarkedStoreNone(Type type) => type.GetCustomAttributesData().Any(a =>
        a.AttributeType == typeof(TraitAttribute)
        && a.ConstructorArguments is [{ Value: "Store" }, { Value: "none" }]);

    private static IEnumerable<Type> FixtureTypes(Type type) =>
        type.GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() is var d && (d == typeof(IClassFixture<>) || d == typeof(ICollectionFixture<>)))
            .Select(i => i.GetGenericArguments()[0])
            .Concat(type.GetConstructors(BindingFlags.Public | BindingFlags.Instance).SelectMany(c => c.GetParameters()).Select(p => p.ParameterType))
            .Concat(type.BaseType is { } b && b != typeof(object) ? [b] : []);
}
