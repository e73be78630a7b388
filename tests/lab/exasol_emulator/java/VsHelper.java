import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.ServiceLoader;

/**
 * The data-node side of the lab's virtual schema adapter: one JVM per request, like an adapter
 * call on a real Exasol node. Reads "key=base64(value)" lines on stdin (secrets never on the
 * command line), loads the JDBC driver from the BucketFS jars (URLClassLoader + ServiceLoader,
 * as the UDF class path would), sets the JVM truststore, connects, and prints one JSON object:
 * {"ok":true,...} or {"ok":false,"exception":"class","message":"..."}.
 *
 * mode=metadata: tables (TABLE/VIEW/...) of catalog/schema with their columns.
 * mode=rows:     SELECT of the given columns of one table, values as strings.
 */
public final class VsHelper {
    public static void main(String[] args) throws Exception {
        String mode = null, url = null, user = null, password = null, catalog = null, schema = null, table = null;
        String trustStore = null, trustStoreType = null, trustStorePassword = null;
        List<String> jars = new ArrayList<>();
        List<String> columns = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            int eq = line.indexOf('=');
            if (eq < 0) continue;
            String key = line.substring(0, eq);
            String value = new String(Base64.getDecoder().decode(line.substring(eq + 1)), StandardCharsets.UTF_8);
            switch (key) {
                case "mode": mode = value; break;
                case "url": url = value; break;
                case "user": user = value; break;
                case "password": password = value; break;
                case "catalog": catalog = value; break;
                case "schema": schema = value; break;
                case "table": table = value; break;
                case "column": columns.add(value); break;
                case "jar": jars.add(value); break;
                case "trustStore": trustStore = value; break;
                case "trustStoreType": trustStoreType = value; break;
                case "trustStorePassword": trustStorePassword = value; break;
                default: break;
            }
        }
        StringBuilder out = new StringBuilder();
        try {
            if (trustStore != null) System.setProperty("javax.net.ssl.trustStore", trustStore);
            if (trustStoreType != null) System.setProperty("javax.net.ssl.trustStoreType", trustStoreType);
            if (trustStorePassword != null) System.setProperty("javax.net.ssl.trustStorePassword", trustStorePassword);
            URL[] urls = new URL[jars.size()];
            for (int i = 0; i < jars.size(); i++) urls[i] = new File(jars.get(i)).toURI().toURL();
            URLClassLoader loader = new URLClassLoader(urls, VsHelper.class.getClassLoader());
            Thread.currentThread().setContextClassLoader(loader);
            Driver driver = null;
            for (Driver candidate : ServiceLoader.load(Driver.class, loader)) {
                if (candidate.acceptsURL(url)) { driver = candidate; break; }
            }
            if (driver == null) {
                throw new java.sql.SQLException("No suitable driver found for " + url);
            }
            Properties props = new Properties();
            if (user != null) props.setProperty("user", user);
            if (password != null) props.setProperty("password", password);
            try (Connection connection = driver.connect(url, props)) {
                if (connection == null) throw new java.sql.SQLException("No suitable driver found for " + url);
                if ("metadata".equals(mode)) {
                    metadata(connection, catalog, schema, out);
                } else {
                    rows(connection, schema, table, columns, out);
                }
            }
        } catch (Throwable error) {
            out.setLength(0);
            Throwable root = error;
            out.append("{\"ok\":false,\"exception\":").append(json(error.getClass().getName()))
               .append(",\"message\":").append(json(String.valueOf(error.getMessage())));
            StringBuilder causes = new StringBuilder();
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
                causes.append(root.getClass().getName()).append(": ").append(root.getMessage()).append('\n');
            }
            out.append(",\"causes\":").append(json(causes.toString())).append('}');
        }
        System.out.println(out);
    }

    private static void metadata(Connection connection, String catalog, String schema, StringBuilder out)
            throws Exception {
        DatabaseMetaData meta = connection.getMetaData();
        out.append("{\"ok\":true,\"product\":").append(json(meta.getDatabaseProductName()))
           .append(",\"productVersion\":").append(json(meta.getDatabaseProductVersion()))
           .append(",\"driverVersion\":").append(json(meta.getDriverVersion()))
           .append(",\"tables\":[");
        List<String[]> tables = new ArrayList<>();
        try (ResultSet rs = meta.getTables(catalog, schema, "%",
                new String[] {"TABLE", "VIEW", "SYSTEM TABLE", "SYSTEM VIEW", "PARTITIONED TABLE", "MATERIALIZED VIEW", "FOREIGN TABLE"})) {
            while (rs.next()) {
                tables.add(new String[] {rs.getString("TABLE_SCHEM"), rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE")});
            }
        }
        boolean firstTable = true;
        for (String[] t : tables) {
            if (!firstTable) out.append(',');
            firstTable = false;
            out.append("{\"schema\":").append(json(t[0])).append(",\"name\":").append(json(t[1]))
               .append(",\"type\":").append(json(t[2])).append(",\"columns\":[");
            try (ResultSet rs = meta.getColumns(catalog, t[0], t[1], "%")) {
                boolean firstColumn = true;
                while (rs.next()) {
                    if (!firstColumn) out.append(',');
                    firstColumn = false;
                    out.append("{\"name\":").append(json(rs.getString("COLUMN_NAME")))
                       .append(",\"jdbcType\":").append(rs.getInt("DATA_TYPE"))
                       .append(",\"typeName\":").append(json(rs.getString("TYPE_NAME")))
                       .append(",\"size\":").append(rs.getInt("COLUMN_SIZE"))
                       .append(",\"digits\":").append(rs.getInt("DECIMAL_DIGITS"))
                       .append(",\"nullable\":").append(rs.getInt("NULLABLE") != DatabaseMetaData.columnNoNulls)
                       .append('}');
                }
            }
            out.append("]}");
        }
        out.append("]}");
    }

    private static void rows(Connection connection, String schema, String table, List<String> columns,
            StringBuilder out) throws Exception {
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < columns.size(); i++) {
            if (i > 0) sql.append(", ");
            sql.append(quote(columns.get(i)));
        }
        sql.append(" FROM ");
        if (schema != null) sql.append(quote(schema)).append('.');
        sql.append(quote(table));
        out.append("{\"ok\":true,\"rows\":[");
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql.toString())) {
            ResultSetMetaData meta = rs.getMetaData();
            boolean firstRow = true;
            while (rs.next()) {
                if (!firstRow) out.append(',');
                firstRow = false;
                out.append('[');
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    if (i > 1) out.append(',');
                    String value;
                    switch (meta.getColumnType(i)) {
                        case Types.TIMESTAMP:
                        case Types.TIMESTAMP_WITH_TIMEZONE:
                            java.sql.Timestamp ts = rs.getTimestamp(i);
                            value = ts == null ? null : ts.toString();
                            break;
                        case Types.BIT:
                        case Types.BOOLEAN:
                            boolean b = rs.getBoolean(i);
                            value = rs.wasNull() ? null : String.valueOf(b);
                            break;
                        default:
                            value = rs.getString(i);
                    }
                    out.append(value == null ? "null" : json(value));
                }
                out.append(']');
            }
        }
        out.append("]}");
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    private static String json(String value) {
        if (value == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c)); else sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
