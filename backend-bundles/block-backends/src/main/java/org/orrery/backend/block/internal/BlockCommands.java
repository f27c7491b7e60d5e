package org.orrery.backend.block.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.Arguments;
import org.orrery.command.CommandContext;
import org.orrery.command.CommandModule;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;
import org.osgi.service.component.annotations.Component;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** blockdev-add, blockdev-del, x-drive-add, query-block, query-named-block-nodes. */
@Component(service = CommandModule.class)
public final class BlockCommands extends AbstractCommandModule {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(BlockCommands.class.getName());
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final String CONTAINER = "/blockdevs";

    public BlockCommands() {
        on("blockdev-add", this::blockdevAdd);
        on("blockdev-del", this::blockdevDel);
        on("x-drive-add", this::driveAdd);
        on("query-block", this::queryBlock);
        on("block_resize", this::blockResize);
        on("blockdev-create", (a, c) -> { jobs(c.tree()).start(a.str("job-id"), (ObjectNode) a.get("options")); return F.objectNode(); });
        on("query-named-block-nodes", (a, c) -> {
            ArrayNode out = F.arrayNode();
            for (BlockNode n : nodes(c.tree())) out.add(deviceInfo(n));
            return out;
        });
    }

    // ---- creation ----

    private JsonNode blockdevAdd(Arguments a, CommandContext c) {
        if (!a.has("node-name")) throw new QomException("'node-name' must be specified for the root node");
        addNode(c.tree(), a.str("node-name"), a.str("driver"), a.extra(), "");
        return F.objectNode();
    }

    /**
     * Creates a node from BlockdevOptions members (JSON or text dialect). Nested objects flatten to dotted
     * properties (cache.direct); a raw node's inline {@code file} object becomes a child node first.
     */
    static BlockNode addNode(ObjectTree tree, String nodeName, String driver, Map<String, Value> members, String where) {
        return addNode(tree, nodeName, driver, members, where, null);
    }

    /** As above; {@code beforeRealize} sees the node once its properties are set. */
    static BlockNode addNode(ObjectTree tree, String nodeName, String driver, Map<String, Value> members, String where,
                             java.util.function.Consumer<BlockNode> beforeRealize) {
        QObject container = tree.container(CONTAINER);
        if (nodeName != null && !nodeName.startsWith("#")) checkNodeName(nodeName);
        else nodeName = freeName(container);
        if (container.child(nodeName) != null) throw new QomException("Duplicate nodes with node-name='" + nodeName + "'");
        String type = switch (driver) {
            case "file" -> "blockdev-file";
            case "raw" -> "blockdev-raw";
            case "qcow2" -> "blockdev-qcow2";
            default -> throw new QomException("Parameter '" + where + "driver' does not accept value '" + driver + "' (supported: file, raw, qcow2)");
        };
        Map<String, Value> props = new LinkedHashMap<>();
        flatten(members, "", props);
        List<BlockNode> inline = new ArrayList<>();
        boolean noBacking = false;
        try {
            for (String child : new String[] {"file", "backing"}) {
                Value v = members.get(child);
                if (v == null || driver.equals("file") || child.equals("backing") && !driver.equals("qcow2")) continue;
                if (v.isNull() || v.json().isTextual() && v.json().asText().isEmpty()) {   // backing: null means none
                    props.remove(child);
                    noBacking = child.equals("backing");
                    continue;
                }
                if (!v.json().isObject()) continue;
                Map<String, Value> sub = new LinkedHashMap<>(v.asStruct());
                Value d = sub.remove("driver");
                if (d == null) throw new QomException("Parameter '" + where + child + ".driver' is missing");
                Value nn = sub.remove("node-name");
                BlockNode node = addNode(tree, nn == null ? null : nn.asString(), d.asString(), sub, where + child + ".");
                inline.add(node);
                props.keySet().removeIf(k -> k.startsWith(child + "."));
                props.put(child, Value.ofJson(child, TextNode.valueOf(node.name())));
            }
            QObject o = tree.create(type);
            for (Map.Entry<String, Value> p : props.entrySet()) {
                if (o.type().property(p.getKey()) == null)
                    throw new QomException("Parameter '" + where + p.getKey() + "' is unexpected");
                o.setProperty(p.getKey(), p.getValue());
            }
            BlockNode node = (BlockNode) o;
            node.ownedChildren.addAll(inline);
            if (noBacking && node instanceof Qcow2Node q) q.backingNone = true;
            if (beforeRealize != null) beforeRealize.accept(node);
            container.addChild(nodeName, o);
            try {
                o.realize();
            } catch (RuntimeException e) {
                tree.discard(o);
                throw e;
            }
            return node;
        } catch (RuntimeException e) {
            for (BlockNode n : inline) if (n.parent() != null) tree.delete(n, true);
            throw e;
        }
    }

    private static void flatten(Map<String, Value> members, String prefix, Map<String, Value> out) {
        for (Map.Entry<String, Value> e : members.entrySet()) {
            Value v = e.getValue();
            String key = prefix + e.getKey();
            if (v.json() != null && v.json().isObject()) flatten(v.asStruct(), key + ".", out);
            else out.put(key, v);
        }
    }

    static void checkNodeName(String name) {
        boolean ok = !name.isEmpty() && name.length() <= 31 && Character.isLetter(name.charAt(0));
        for (int i = 0; ok && i < name.length(); i++) {
            char ch = name.charAt(i);
            ok = Character.isLetterOrDigit(ch) && ch < 128 || ch == '-' || ch == '_' || ch == '.';
        }
        if (!ok) throw new QomException("Invalid node-name: '" + name + "'");
    }

    private static String freeName(QObject container) {
        for (int i = 0; ; i++) if (container.child("#block" + i) == null) return "#block" + i;
    }

    private JsonNode driveAdd(Arguments a, CommandContext c) {
        ObjectTree tree = c.tree();
        String id = a.str("id");
        String image = a.str("file");
        checkNodeName(id);
        String fileNode = "#" + id + "-file";
        if (tree.resolve(CONTAINER + "/" + fileNode) != null) throw new QomException("drive with id '" + id + "' already exists");
        if (tree.resolve(CONTAINER + "/" + id) != null) throw new QomException("drive with id '" + id + "' already exists");
        String format = a.str("format", null);
        if (format == null) {
            if (isQcow2(Path.of(image))) format = "qcow2";
            else LOG.warning("Image format was not specified for '" + image + "' and probing guessed raw; specify format=raw to remove the restrictions");
        } else if (!format.equals("raw") && !format.equals("qcow2")) {
            throw new QomException("'" + format + "' invalid format (supported: raw, qcow2)");
        }
        if (format == null) format = "raw";
        boolean ro = a.bool("readonly", false);
        boolean snapshot = a.bool("snapshot", false);
        String cache = a.str("cache", "writeback");
        boolean direct, noFlush, writeThrough;
        switch (cache) {
            case "writeback" -> { direct = false; noFlush = false; writeThrough = false; }
            case "writethrough" -> { direct = false; noFlush = false; writeThrough = true; }
            case "none" -> { direct = true; noFlush = false; writeThrough = false; }
            case "directsync" -> { direct = true; noFlush = false; writeThrough = true; }
            case "unsafe" -> { direct = false; noFlush = true; writeThrough = false; }
            default -> throw new QomException("invalid cache option '" + cache + "'");
        }
        String discard = switch (a.str("discard", "ignore")) {
            case "ignore", "off" -> "ignore";
            case "unmap", "on" -> "unmap";
            default -> throw new QomException("Invalid discard option '" + a.str("discard") + "'");
        };
        Map<String, Value> f = new LinkedHashMap<>();
        f.put("filename", json("filename", F.textNode(image)));
        f.put("read-only", json("read-only", F.booleanNode(ro || snapshot)));
        f.put("cache.direct", json("cache.direct", F.booleanNode(direct)));
        f.put("cache.no-flush", json("cache.no-flush", F.booleanNode(noFlush)));
        f.put("discard", json("discard", F.textNode(discard)));
        if (a.has("aio")) f.put("aio", json("aio", a.get("aio")));
        if (snapshot) f.put("locking", json("locking", F.textNode("off")));
        BlockNode file = addNode(tree, fileNode, "file", f, "");
        try {
            Map<String, Value> r = new LinkedHashMap<>();
            r.put("file", json("file", F.textNode(file.name())));
            r.put("read-only", json("read-only", F.booleanNode(ro)));
            r.put("snapshot", json("snapshot", F.booleanNode(snapshot)));
            r.put("write-through", json("write-through", F.booleanNode(writeThrough)));
            for (String k : new String[] {"lazy-refcounts", "cache-size", "l2-cache-size", "refcount-cache-size", "cache-clean-interval"}) {
                if (!a.has(k)) continue;
                if (!format.equals("qcow2")) throw new QomException("Block format '" + format + "' does not support the option '" + k + "'");
                r.put(k, json(k, a.get(k)));
            }
            BlockNode formatNode = addNode(tree, id, format, r, "");
            formatNode.ownedChildren.add(file);
            formatNode.driveId = id;
            return F.objectNode().put("node-name", id);
        } catch (RuntimeException e) {
            tree.delete(file, true);
            throw e;
        }
    }

    private static Value json(String name, JsonNode n) { return Value.ofJson(name, n); }

    static boolean isQcow2(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'Q' && magic[1] == 'F' && magic[2] == 'I' && (magic[3] & 0xff) == 0xfb;
        } catch (IOException e) {
            return false; // opening reports the real problem
        }
    }

    /** Each machine's creation jobs (a machine's tree is used only under its lock). */
    private final Map<ObjectTree, CreateJobs> jobs = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    private CreateJobs jobs(ObjectTree tree) { return jobs.computeIfAbsent(tree, CreateJobs::new); }

    // ---- resize ----

    private JsonNode blockResize(Arguments a, CommandContext c) {
        BlockNode n = findNode(c.tree(), a.str("device", null), a.str("node-name", null));
        long size = a.get("size").asLong();
        if (size < 0) throw new QomException("Parameter 'size' expects a >0 size");
        if (n.isReadOnly() || n.get(BlockNode.SNAPSHOT)) throw new QomException("Block node is read-only");
        try {
            if (n instanceof Qcow2Node q) {
                q.resize(size);
            } else if (n instanceof RawNode r && r.get(RawNode.SIZE) == null && r.get(RawNode.OFFSET) == 0 && r.fileNode() != null) {
                r.fileNode().truncate(size);
                r.sizeChanged();
            } else {
                throw new QomException("Cannot resize node '" + n.name() + "' (driver " + n.driver() + ")");
            }
        } catch (IOException e) {
            throw new QomException("Could not resize: " + e.getMessage());
        }
        return F.objectNode();
    }

    /** The node a command names by drive id ({@code device}) or node name. */
    static BlockNode findNode(ObjectTree tree, String device, String nodeName) {
        if ((device == null) == (nodeName == null)) throw new QomException("Need exactly one of 'device' and 'node-name'");
        String name = device != null ? device : nodeName;
        QObject o = tree.resolve(CONTAINER + "/" + name);
        if (!(o instanceof BlockNode n) || device != null && n.driveId == null) {
            if (device != null) throw new QomException("Device '" + device + "' not found");
            throw new QomException("Cannot find device='' nor node-name='" + nodeName + "'");
        }
        return n;
    }

    // ---- deletion ----

    private JsonNode blockdevDel(Arguments a, CommandContext c) {
        String name = a.str("node-name");
        QObject o = c.tree().resolve(CONTAINER + "/" + name);
        if (!(o instanceof BlockNode n)) throw new QomException("Failed to find node with node-name='" + name + "'");
        if (n.driveId != null) throw new QomException("Node " + name + " is not owned by the monitor (it belongs to drive '" + n.driveId + "')");
        List<String> users = c.tree().linkersOf(n);
        if (!users.isEmpty()) throw new QomException("Node " + name + " is in use (by " + String.join(", ", users) + ")");
        List<BlockNode> owned = new ArrayList<>(n.ownedChildren);
        c.tree().delete(n, false);
        for (BlockNode child : owned) if (child.parent() != null && c.tree().linkersOf(child).isEmpty()) c.tree().delete(child, false);
        return F.objectNode();
    }

    static BlockNode backingOf(BlockNode n) { return n instanceof Qcow2Node q ? q.backing() : null; }

    /** ImageInfo as QEMU reports it: the format's facts, then the backing image's, recursively. */
    private static ObjectNode imageInfo(BlockNode n, int depth) {
        ObjectNode image = F.objectNode();
        image.put("filename", n.filename());
        image.put("format", n.driver());
        image.put("virtual-size", n instanceof FileNode f ? fileLength(f) : n.size());
        try {
            image.put("actual-size", allocatedBytes(Path.of(n.filename())));
        } catch (IOException | RuntimeException e) {
            // not a plain file
        }
        image.put("dirty-flag", false);
        if (n instanceof Qcow2Node q && q.image() != null) {
            org.orrery.backend.block.qcow2.Qcow2Image img = q.image();
            image.put("cluster-size", img.clusterSize());
            image.put("dirty-flag", img.dirty());
            ObjectNode spec = image.putObject("format-specific");
            spec.put("type", "qcow2");
            ObjectNode data = spec.putObject("data");
            Map<String, Object> facts = img.facts();
            data.put("compat", (String) facts.get("compat"));
            data.put("compression-type", "zlib");
            if (img.header().version() >= 3) {
                data.put("lazy-refcounts", (Boolean) facts.get("lazy-refcounts"));
                data.put("refcount-bits", (Integer) facts.get("refcount-bits"));
                data.put("corrupt", (Boolean) facts.get("corrupt"));
                data.put("extended-l2", false);
            } else {
                data.put("refcount-bits", (Integer) facts.get("refcount-bits"));
            }
            String backingName = img.header().backingFile();
            if (backingName != null) {
                image.put("backing-filename", backingName);
                image.put("full-backing-filename", fullBackingName(n.filename(), backingName));
                if (img.header().backingFormat() != null) image.put("backing-filename-format", img.header().backingFormat());
            }
            if (!img.snapshots().isEmpty()) {
                ArrayNode snaps = image.putArray("snapshots");
                for (org.orrery.backend.block.qcow2.SnapshotTable.Snapshot s : img.snapshots()) {
                    ObjectNode e = snaps.addObject();
                    e.put("id", s.id()).put("name", s.name()).put("vm-state-size", s.vmStateSize())
                            .put("date-sec", s.dateSec()).put("date-nsec", s.dateNsec())
                            .put("vm-clock-sec", s.vmClockNsec() / 1_000_000_000L).put("vm-clock-nsec", s.vmClockNsec() % 1_000_000_000L);
                    if (s.icount() >= 0) e.put("icount", s.icount());
                }
            }
            BlockNode b = q.backing();
            if (b != null && depth < Qcow2Node.MAX_CHAIN) image.set("backing-image", imageInfo(b, depth + 1));
        }
        return image;
    }

    /** A backing file name as the image names it, made relative to the image's folder (as QEMU shows it). */
    static String fullBackingName(String image, String backing) {
        Path full = Path.of(backing);
        Path dir = Path.of(image).getParent();
        return full.isAbsolute() || dir == null ? backing : dir.resolve(full).toString();
    }

    private static long fileLength(FileNode f) {
        try {
            return f.length();
        } catch (IOException e) {
            return f.size();
        }
    }

    /** The bytes a file takes on disk (QEMU's actual-size), from its allocated blocks. */
    private static long allocatedBytes(Path p) throws IOException {
        try {
            Object blocks = Files.getAttribute(p, "unix:blocks");
            if (blocks instanceof Long b) return b * 512;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // no unix view
        }
        return Files.size(p);
    }

    // ---- queries ----

    static List<BlockNode> nodes(ObjectTree tree) {
        List<BlockNode> out = new ArrayList<>();
        QObject container = tree.resolve(CONTAINER);
        if (container == null) return out;
        for (QObject o : container.children().values()) if (o instanceof BlockNode n) out.add(n);
        return out;
    }

    private JsonNode queryBlock(Arguments a, CommandContext c) {
        ArrayNode out = F.arrayNode();
        for (BlockNode n : nodes(c.tree())) {
            List<String> devices = new ArrayList<>();
            for (String l : c.tree().linkersOf(n)) {
                if (l.startsWith(CONTAINER + "/")) continue;
                devices.add(l.substring(0, l.lastIndexOf('.')));
            }
            if (n.driveId == null && devices.isEmpty()) continue;
            ObjectNode b = out.addObject();
            b.put("device", n.driveId == null ? "" : n.driveId);
            if (!devices.isEmpty()) b.put("qdev", devices.get(0)).put("io-status", "ok");
            b.put("locked", false).put("removable", false);
            b.set("inserted", deviceInfo(n));
            b.put("type", "unknown");
        }
        return out;
    }

    private static ObjectNode deviceInfo(BlockNode n) {
        ObjectNode i = F.objectNode();
        i.put("file", n.filename());
        i.put("node-name", n.name());
        i.put("ro", n.isReadOnly());
        i.put("drv", n.driver());
        int depth = 0;
        for (BlockNode b = backingOf(n); b != null && depth < Qcow2Node.MAX_CHAIN; b = backingOf(b)) depth++;
        if (n instanceof Qcow2Node q && q.image() != null && q.image().header().backingFile() != null)
            i.put("backing_file", fullBackingName(n.filename(), q.image().header().backingFile()));
        i.put("backing_file_depth", depth);
        i.put("encrypted", false);
        i.put("detect_zeroes", "off");
        for (String k : new String[] {"bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr"}) i.put(k, 0);
        i.set("image", imageInfo(n, 0));
        FileNode f = n.fileNode();
        ObjectNode cache = i.putObject("cache");
        cache.put("writeback", !n.writeThrough());
        cache.put("direct", f != null && f.get(FileNode.CACHE_DIRECT));
        cache.put("no-flush", f != null && f.get(FileNode.CACHE_NO_FLUSH));
        i.put("write_threshold", 0);
        return i;
    }
}
