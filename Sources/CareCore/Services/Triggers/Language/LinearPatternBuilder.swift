import Foundation

extension LinearPattern {
    // MARK: - Glushkov construction

    struct Builder {
        var positionCount = 0
        var matchers: [Matcher] = []
        var positionsOf: [Bits] = [] // parallel to matchers
        var follow: [Bits] = []

        struct Glushkov {
            var nullable: Bool
            var first: Bits
            var last: Bits
        }

        mutating func build(_ node: Node) -> Glushkov {
            switch node {
            case .empty:
                return Glushkov(nullable: true, first: Bits(), last: Bits())
            case .atom(let m):
                var b = Bits()
                b.insert(positionCount)
                positionCount += 1
                follow.append(Bits())
                if let i = matchers.firstIndex(of: m) {
                    positionsOf[i].formUnion(b)
                } else {
                    matchers.append(m)
                    positionsOf.append(b)
                }
                return Glushkov(nullable: false, first: b, last: b)
            case .concat(let ns):
                var acc = Glushkov(nullable: true, first: Bits(), last: Bits())
                for n in ns {
                    let g = build(n)
                    link(acc.last, to: g.first)
                    acc.first = acc.nullable ? acc.first.union(g.first) : acc.first
                    acc.last = g.nullable ? acc.last.union(g.last) : g.last
                    acc.nullable = acc.nullable && g.nullable
                }
                return acc
            case .alternation(let ns):
                var acc = Glushkov(nullable: false, first: Bits(), last: Bits())
                for n in ns {
                    let g = build(n)
                    acc.nullable = acc.nullable || g.nullable
                    acc.first.formUnion(g.first)
                    acc.last.formUnion(g.last)
                }
                return acc
            case .star(let n):
                var g = loop(n)
                g.nullable = true
                return g
            case .plus(let n):
                return loop(n)
            case .optional(let n):
                var g = build(n)
                g.nullable = true
                return g
            case .repeated:
                preconditionFailure("repetitions are expanded before building")
            }
        }

        private mutating func loop(_ n: Node) -> Glushkov {
            let g = build(n)
            link(g.last, to: g.first)
            return g
        }

        private mutating func link(_ from: Bits, to: Bits) {
            for p in from.members { follow[p].formUnion(to) }
        }
    }
}
