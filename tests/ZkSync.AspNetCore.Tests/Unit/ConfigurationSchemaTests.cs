using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ZkSync.AspNetCore.Tests.Unit;

/// <summary>Keeps appsettings.schema.json and <see cref="ZkSyncOptions"/> in sync: keys both ways, types and defaults.</summary>
public sealed class ConfigurationSchemaTests
{
    private static readonly JsonElement ZkSyncSection = LoadSchema().GetProperty("properties").GetProperty(ZkSyncOptions.SectionName);

    public static TheoryData<string> BindableProperties()
    {
        var data = new TheoryData<string>();
        foreach (var (path, _, _) in Walk(typeof(ZkSyncOptions), new ZkSyncOptions(), ""))
        {
            data.Add(path);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BindableProperties))]
    public void OptionsProperty_IsInTheSchema_WithItsTypeAndDefault(string path)
    {
        var (_, property, defaultValue) = Walk(typeof(ZkSyncOptions), new ZkSyncOptions(), "").Single(p => p.Path == path);
        var schema = Find(path) ?? throw new Xunit.Sdk.XunitException($"appsettings.schema.json has no '{ZkSyncOptions.SectionName}:{path}' for {property.DeclaringType!.Name}.{property.Name}.");

        Assert.True(schema.TryGetProperty("description", out var description) && description.GetString()!.Length > 10, $"'{path}' needs a description.");
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (IsOptionsClass(type))
        {
            Assert.Equal("object", schema.GetProperty("type").GetString());
            Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
            return;
        }

        var jsonDefault = schema.TryGetProperty("default", out var value) ? value : throw new Xunit.Sdk.XunitException($"'{path}' has no default in the schema.");
        if (type == typeof(string))
        {
            Assert.Contains("string", Types(schema));
            Assert.Equal((string?)defaultValue, jsonDefault.ValueKind == JsonValueKind.Null ? null : jsonDefault.GetString());
        }
        else if (type == typeof(bool))
        {
            Assert.Equal("boolean", schema.GetProperty("type").GetString());
            Assert.Equal((bool)defaultValue!, jsonDefault.GetBoolean());
        }
        else if (type == typeof(int))
        {
            Assert.Equal("integer", schema.GetProperty("type").GetString());
            Assert.Equal((int)defaultValue!, jsonDefault.GetInt32());
        }
        else if (type == typeof(TimeSpan))
        {
            Assert.Equal("string", schema.GetProperty("type").GetString());
            var pattern = new Regex(schema.GetProperty("pattern").GetString()!, RegexOptions.None, TimeSpan.FromSeconds(1));
            Assert.Matches(pattern, jsonDefault.GetString()!);
            Assert.Matches(pattern, ((TimeSpan)defaultValue!).ToString("c", CultureInfo.InvariantCulture));
            Assert.Equal((TimeSpan)defaultValue!, TimeSpan.Parse(jsonDefault.GetString()!, CultureInfo.InvariantCulture));
        }
        else if (type.IsEnum)
        {
            Assert.Equal("string", schema.GetProperty("type").GetString());
            Assert.Equal(Enum.GetNames(type), schema.GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(defaultValue!.ToString(), jsonDefault.GetString());
        }
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            Assert.Contains("array", Types(schema));
            Assert.Null(defaultValue);
            Assert.Equal(JsonValueKind.Null, jsonDefault.ValueKind);
        }
        else
        {
            throw new Xunit.Sdk.XunitException($"No schema rule for {type} ('{path}').");
        }
    }

    [Fact]
    public void SchemaProperty_IsAnOptionsProperty()
    {
        var known = Walk(typeof(ZkSyncOptions), new ZkSyncOptions(), "").Select(p => p.Path).ToHashSet(StringComparer.Ordinal);
        var extra = SchemaPaths(ZkSyncSection, "").Where(p => !known.Contains(p)).ToList();

        Assert.True(extra.Count == 0, "appsettings.schema.json describes keys that ZkSyncOptions does not have: " + string.Join(", ", extra));
    }

    [Theory]
    [InlineData("00:00:20")]
    [InlineData("1.02:03:04.5")]
    [InlineData("-00:00:00.001")]
    [InlineData("-00:00:00.0010000")]
    [InlineData("00:30")]
    public void TimeSpanPattern_AcceptsWhatTheBinderAccepts(string value)
    {
        var pattern = ZkSyncSection.GetProperty("properties").GetProperty("SessionTimeout").GetProperty("pattern").GetString()!;

        Assert.Matches(new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1)), value);
        Assert.True(TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public void Sample_AppSettings_PointsAtTheSchema()
    {
        var root = FindRepositoryRoot();
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "samples", "WebApp", "appsettings.json")));

        Assert.Equal("../../appsettings.schema.json", sample.RootElement.GetProperty("$schema").GetString());
        var known = Walk(typeof(ZkSyncOptions), new ZkSyncOptions(), "").Select(p => p.Path).ToHashSet(StringComparer.Ordinal);
        Assert.All(ConfigPaths(sample.RootElement.GetProperty(ZkSyncOptions.SectionName), ""), key => Assert.Contains(key, known));
    }

    private static IEnumerable<(string Path, PropertyInfo Property, object? Default)> Walk(Type type, object instance, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true } || typeof(Delegate).IsAssignableFrom(property.PropertyType))
            {
                continue; // Not bound from configuration (e.g. OnRejected).
            }

            var path = prefix + property.Name;
            var value = property.GetValue(instance);
            yield return (path, property, value);
            if (IsOptionsClass(property.PropertyType))
            {
                foreach (var nested in Walk(property.PropertyType, value!, path + ":"))
                {
                    yield return nested;
                }
            }
        }
    }

    private static bool IsOptionsClass(Type type) =>
        type.IsClass && type != typeof(string) && type.Namespace == typeof(ZkSyncOptions).Namespace;

    private static JsonElement? Find(string path)
    {
        var current = ZkSyncSection;
        foreach (var key in path.Split(':'))
        {
            if (!current.TryGetProperty("properties", out var properties) || !properties.TryGetProperty(key, out current))
            {
                return null;
            }
        }

        return current;
    }

    private static IEnumerable<string> SchemaPaths(JsonElement schema, string prefix)
    {
        if (!schema.TryGetProperty("properties", out var properties))
        {
            yield break;
        }

        foreach (var property in properties.EnumerateObject())
        {
            yield return prefix + property.Name;
            foreach (var nested in SchemaPaths(property.Value, prefix + property.Name + ":"))
            {
                yield return nested;
            }
        }
    }

    private static IEnumerable<string> ConfigPaths(JsonElement section, string prefix)
    {
        foreach (var property in section.EnumerateObject())
        {
            yield return prefix + property.Name;
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var nested in ConfigPaths(property.Value, prefix + property.Name + ":"))
                {
                    yield return nested;
                }
            }
        }
    }

    private static IEnumerable<string?> Types(JsonElement schema)
    {
        var type = schema.GetProperty("type");
        return type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()) : [type.GetString()];
    }

    private static JsonElement LoadSchema()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.schema.json")));
        return document.RootElement.Clone();
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ZkSync.AspNetCore.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("ZkSync.AspNetCore.sln not found above " + AppContext.BaseDirectory);
    }
}
