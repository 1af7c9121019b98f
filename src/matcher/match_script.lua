-- Turnpike's matcher state in Redis, changed only by this script so that each
-- operation is atomic. Every key is passed in KEYS and shares one hash tag, so
-- the script also runs on Redis Cluster.
--
-- KEYS: 1 queue of text seekers   (zset: session -> since, ms)
--       2 queue of video seekers  (zset)
--       3 seekers   (hash: session -> ip \t lang \t open \t since \t privacy \t interests \t mode)
--       4 pairs     (hash: session -> partner, both ways)
--       5 last      (hash: session -> the partner it last left)
--       6 blocks    (hash: session -> ",id,id," of sessions it blocked or was blocked by)
--       7 ip blocks (hash: "ipA \t ipB", sorted -> expiry, ms)
--       8 nodes     (hash: node -> lease expiry, ms)
--       9 sessions of one node (set; the caller's, or the dead node's for reap)
-- ARGV: 1 operation, 2 the calling node, 3 now (ms, wall clock), then per operation.
-- Session ids are 16 hex digits whose first 6 name their node.

local QUEUE = {text = KEYS[1], video = KEYS[2]}
local SEEKERS, PAIRS, LAST, BLOCKS, IP_BLOCKS, NODES, SESSIONS_OF =
    KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local op, self, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local channel_prefix = string.sub(NODES, 1, -6) .. 'node:'  -- "{tag}:nodes" -> "{tag}:node:"

local function node_of(id) return string.sub(id, 1, 6) end

local function alive(node)
    local lease = redis.call('HGET', NODES, node)
    return lease and tonumber(lease) >= now
end

-- How many listened: 0 when the node's subscription is gone.
local function tell(node, parcel)
    return redis.call('PUBLISH', channel_prefix .. node, parcel)
end

local function parse(record)
    local f = {}
    for field in string.gmatch(record .. '\t', '([^\t]*)\t') do f[#f + 1] = field end
    return {ip = f[1], lang = f[2], open = f[3] == '1', since = tonumber(f[4]),
            privacy = f[5], interests = f[6], mode = f[7]}
end

local function blocked(a, b)
    local list = redis.call('HGET', BLOCKS, a)
    return list and string.find(list, ',' .. b .. ',', 1, true) ~= nil
end

local function ip_pair(x, y)
    if x < y then return x .. '\t' .. y end
    return y .. '\t' .. x
end

local function ip_blocked(x, y)
    if x == y then return false end
    local expiry = redis.call('HGET', IP_BLOCKS, ip_pair(x, y))
    return expiry and tonumber(expiry) > now
end

-- Both lists are sorted, so the shared ones come out sorted.
local function shared(a, b)
    local in_b = {}
    for interest in string.gmatch(b, '[^,]+') do in_b[interest] = true end
    local out = {}
    for interest in string.gmatch(a, '[^,]+') do
        if in_b[interest] then out[#out + 1] = interest end
    end
    return out
end

local function unqueue(id)
    redis.call('ZREM', QUEUE.text, id)
    redis.call('ZREM', QUEUE.video, id)
    redis.call('HDEL', SEEKERS, id)
end

-- Ends the pair `id` is in; tells a partner on another node than `quiet`.
local function unpair(id, reason, quiet)
    local partner = redis.call('HGET', PAIRS, id)
    if not partner then return false end
    redis.call('HDEL', PAIRS, id)
    if redis.call('HGET', PAIRS, partner) == id then redis.call('HDEL', PAIRS, partner) end
    redis.call('HSET', LAST, id, partner, partner, id)
    local node = node_of(partner)
    if node ~= quiet and alive(node) then
        tell(node, 'l\t' .. id .. '\t' .. partner .. '\t' .. reason)
    end
    return partner
end

local function acceptable(id, me, last, other_id, other)
    return (me.lang == '' or other.lang == '' or me.lang == other.lang)
        and last ~= other_id and redis.call('HGET', LAST, other_id) ~= id
        and not blocked(id, other_id) and not ip_blocked(me.ip, other.ip)
end

-- The waiter `me` is paired with: the oldest acceptable one sharing an
-- interest, else (when both take anyone) the oldest acceptable one.
local function choose(id, me, queue, limit)
    local last = redis.call('HGET', LAST, id)
    local fallback, fallback_record
    for _, other_id in ipairs(redis.call('ZRANGE', queue, 0, limit - 1)) do
        local other_record = redis.call('HGET', SEEKERS, other_id)
        if not other_record or not alive(node_of(other_id)) then
            -- A ghost: its node's lease ran out. Never matched; cleaned up here.
            redis.call('ZREM', queue, other_id)
            redis.call('HDEL', SEEKERS, other_id)
        else
            local other = parse(other_record)
            if acceptable(id, me, last, other_id, other) then
                local both = shared(me.interests, other.interests)
                if #both > 0 then return other_id, other, both end
                if not fallback and me.open and other.open then
                    fallback, fallback_record = other_id, other
                end
            end
        end
    end
    if fallback then return fallback, fallback_record, {} end
    return nil
end

-- ARGV 4 session, 5 its record, 6 "again" (1: its interest wait is over,
-- replace its own entry), 7 how many waiters to look at.
local function find()
    local id, record = ARGV[4], ARGV[5]
    if redis.call('HEXISTS', PAIRS, id) == 1 then return {'busy'} end
    if ARGV[6] == '1' then
        unqueue(id)
    elseif redis.call('HEXISTS', SEEKERS, id) == 1 then
        return {'busy'}
    end
    local me = parse(record)
    local queue = QUEUE[me.mode]
    for _ = 1, 8 do
        local chosen, other, common = choose(id, me, queue, tonumber(ARGV[7]))
        if not chosen then break end
        unqueue(chosen)
        local impolite = chosen
        if me.since < other.since then impolite = id end
        local common_list = table.concat(common, ',')
        local node = node_of(chosen)
        -- A node that is killed drops its subscription at once, long before
        -- its lease runs out: nobody hearing the match means a ghost.
        if node == self or tell(node, 'x\t' .. id .. '\t' .. chosen .. '\t' .. common_list .. '\t' ..
                                      impolite .. '\t' .. me.ip .. '\t' .. me.privacy) > 0 then
            redis.call('HSET', PAIRS, id, chosen, chosen, id)
            redis.call('SADD', SESSIONS_OF, id)
            return {'matched', chosen, common_list, impolite, other.ip, other.privacy}
        end
    end
    redis.call('ZADD', queue, me.since, id)
    redis.call('HSET', SEEKERS, id, record)
    redis.call('SADD', SESSIONS_OF, id)
    return {'waiting'}
end

-- ARGV 4 session, 5 reason told to a partner elsewhere.
local function leave()
    unqueue(ARGV[4])
    return unpair(ARGV[4], ARGV[5], self) or ''
end

local function close()
    local id = ARGV[4]
    unqueue(id)
    local partner = unpair(id, 'disconnected', self) or ''
    redis.call('HDEL', LAST, id)
    redis.call('HDEL', BLOCKS, id)
    redis.call('SREM', SESSIONS_OF, id)
    return partner
end

-- ARGV 4 who, 5 whom, 6 who's IP, 7 whom's IP, 8 IP block lifetime (ms).
local function block()
    local who, whom = ARGV[4], ARGV[5]
    for _, pair in ipairs({{who, whom}, {whom, who}}) do
        local list = redis.call('HGET', BLOCKS, pair[1]) or ','
        if not string.find(list, ',' .. pair[2] .. ',', 1, true) then
            redis.call('HSET', BLOCKS, pair[1], list .. pair[2] .. ',')
        end
    end
    if ARGV[6] ~= ARGV[7] then
        redis.call('HSET', IP_BLOCKS, ip_pair(ARGV[6], ARGV[7]), now + tonumber(ARGV[8]))
    end
    return 1
end

-- ARGV 4 lease (ms), 5 cursor of the expired-IP-block sweep. Renews this
-- node's lease; returns the next cursor and the nodes whose lease ran out.
local function beat()
    redis.call('HSET', NODES, self, now + tonumber(ARGV[4]))
    local scan = redis.call('HSCAN', IP_BLOCKS, ARGV[5], 'COUNT', 100)
    local entries = scan[2]
    for i = 1, #entries, 2 do
        if tonumber(entries[i + 1]) <= now then redis.call('HDEL', IP_BLOCKS, entries[i]) end
    end
    local dead = {}
    local nodes = redis.call('HGETALL', NODES)
    for i = 1, #nodes, 2 do
        if tonumber(nodes[i + 1]) < now then dead[#dead + 1] = nodes[i] end
    end
    return {scan[1], dead}
end

-- ARGV 4 the dead node; KEYS[9] is its set of sessions. Takes its sessions
-- out of the queues and pairs, and tells their partners on live nodes.
local function reap()
    local dead = ARGV[4]
    if alive(dead) then return 0 end
    local sessions = redis.call('SMEMBERS', SESSIONS_OF)
    for _, id in ipairs(sessions) do
        unqueue(id)
        unpair(id, 'disconnected', dead)
        redis.call('HDEL', LAST, id)
        redis.call('HDEL', BLOCKS, id)
    end
    redis.call('DEL', SESSIONS_OF)
    redis.call('HDEL', NODES, dead)
    return #sessions
end

local operations = {find = find, leave = leave, close = close, block = block, beat = beat,
                    reap = reap}
return operations[op]()
